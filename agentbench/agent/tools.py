"""The tools a scaffold offers: their schemas, argument checks, and the shell command each runs.

Every tool runs as a command in the sandbox's shell; nothing touches host files.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agentbench.records import ToolSpec, first_problem


class FormatError(Exception):
    """The model's reply cannot be turned into an action; the message goes back to it."""

    def __init__(self, message: str, tool_call_id: str | None = None) -> None:
        self.tool_call_id = tool_call_id
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Action:
    """One parsed action: tool name, validated arguments, and the tool call it answers."""

    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)
    tool_call_id: str | None = None


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BashArgs(_Args):
    """Arguments of the bash tool."""

    command: str = Field(description="The bash command to run in the persistent shell.")


class SubmitArgs(_Args):
    """Arguments of the submit tool (none needed)."""

    summary: str | None = Field(None, description="Optional short note on what was changed.")


class EditArgs(_Args):
    """Arguments of the file-editing tool."""

    command: Literal["view", "create", "str_replace", "insert"] = Field(
        description="view a file or directory, create a new file, replace a unique string, or insert text after a line."
    )
    path: str = Field(description="Absolute path of the file or directory.")
    file_text: str | None = Field(None, description="create: the content of the new file.")
    old_str: str | None = Field(
        None, description="str_replace: the exact text to replace (must occur once)."
    )
    new_str: str | None = Field(None, description="str_replace / insert: the new text.")
    insert_line: int | None = Field(
        None, description="insert: insert new_str AFTER this line (0 = top)."
    )
    view_range: list[int] | None = Field(
        None, description="view: [first, last] lines, last -1 = end."
    )

    @model_validator(mode="after")
    def _needs(self) -> EditArgs:
        need = {
            "create": ["file_text"],
            "str_replace": ["old_str"],
            "insert": ["insert_line", "new_str"],
        }
        missing = [k for k in need.get(self.command, []) if getattr(self, k) is None]
        if missing:
            raise ValueError(f"command {self.command!r} needs {', '.join(missing)}")
        if not self.path.startswith("/"):
            raise ValueError(f"path must be absolute, got {self.path!r}")
        if self.view_range is not None and len(self.view_range) != 2:
            raise ValueError("view_range must be [first, last]")
        if self.command == "str_replace" and self.old_str == "":
            raise ValueError("old_str must not be empty")
        return self


ARG_MODELS: dict[str, type[_Args]] = {"bash": BashArgs, "submit": SubmitArgs, "edit": EditArgs}

DESCRIPTIONS = {
    "bash": "Run a bash command in a persistent shell (the working directory and environment carry over between calls). Output is truncated when long.",
    "submit": "Call this when the task is done. Your changes in the working tree are the submission; the episode ends.",
    "edit": "View, create and edit files: view (a file with line numbers, or a directory listing), create (a new file), str_replace (replace one exact, unique occurrence of old_str with new_str), insert (new_str after line insert_line).",
}


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    """JSON schema without pydantic's titles (less noise in the prompt)."""

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "title"}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return strip(model.model_json_schema())


def tool_specs(tools: list[tuple[str, str | None]]) -> list[ToolSpec]:
    """ToolSpecs for (name, description override) pairs."""
    return [
        ToolSpec(name=n, description=d or DESCRIPTIONS[n], parameters=_schema(ARG_MODELS[n]))
        for n, d in tools
    ]


def validate_arguments(
    name: str, arguments: dict[str, Any] | str, tool_call_id: str | None
) -> Action:
    """Check a tool call's arguments; problems raise FormatError with a readable message."""
    if isinstance(arguments, str):
        raise FormatError(
            f"the arguments of tool {name!r} are not valid JSON: {arguments[:200]!r}", tool_call_id
        )
    model = ARG_MODELS[name]
    try:
        parsed = model.model_validate(arguments)
    except ValidationError as exc:
        loc, msg, _ = first_problem(exc)
        raise FormatError(f"tool {name!r}: {loc or 'arguments'}: {msg}", tool_call_id) from None
    return Action(name, parsed.model_dump(exclude_none=True), tool_call_id)


@cache
def _edit_script() -> str:
    return (Path(__file__).with_name("edit_helper.py")).read_text(encoding="utf-8")


# A quoted heredoc delimiter: the shell substitutes nothing inside.
_HEREDOC = "AGENTBENCH_EDIT_TOOL_EOF"


def edit_command(arguments: dict[str, Any]) -> str:
    """The shell command that runs the edit helper in the sandbox with these arguments."""
    blob = base64.b64encode(json.dumps(arguments).encode("utf-8")).decode("ascii")
    return f"python3 - <<'{_HEREDOC}'\n{_edit_script()}\nmain({blob!r})\n{_HEREDOC}"


def shell_command(action: Action) -> str | None:
    """The command an action runs in the sandbox (None for submit)."""
    if action.tool == "bash":
        return str(action.arguments["command"])
    if action.tool == "edit":
        return edit_command(action.arguments)
    return None
