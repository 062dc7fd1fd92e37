"""Turn a model reply into actions, per the scaffold's action format."""

from __future__ import annotations

import re
from functools import lru_cache

from agentbench.agent.tools import Action, FormatError, validate_arguments
from agentbench.records import ModelResponse
from agentbench.scaffold import Scaffold


@lru_cache(maxsize=32)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.DOTALL)


def parse_reply(scaffold: Scaffold, response: ModelResponse) -> list[Action | FormatError]:
    """Actions (and per-call format errors) in the order the model gave them.

    A reply with no usable action at all raises FormatError (without a tool_call_id).
    """
    if scaffold.action_format == "bash_block":
        return [_parse_block(scaffold, response.text)]
    if not response.tool_calls:
        raise FormatError(
            f"your reply called no tool. Call exactly one of: {', '.join(scaffold.tool_names)}."
        )
    out: list[Action | FormatError] = []
    for tc in response.tool_calls:
        if tc.name not in scaffold.tool_names:
            out.append(
                FormatError(
                    f"unknown tool {tc.name!r}; the tools are: {', '.join(scaffold.tool_names)}",
                    tc.id,
                )
            )
            continue
        try:
            out.append(validate_arguments(tc.name, tc.arguments, tc.id))
        except FormatError as exc:
            out.append(exc)
    return out


def _parse_block(scaffold: Scaffold, text: str) -> Action:
    blocks = _regex(scaffold.action_regex).findall(text)
    if len(blocks) != 1:
        raise FormatError(
            f"found {len(blocks)} bash code blocks; reply with exactly one ```bash ... ``` block "
            f"(to finish, run `echo {scaffold.submit_sentinel}` as the only command)."
        )
    return Action("bash", {"command": blocks[0]})


def is_submission(scaffold: Scaffold, action: Action, output: str | None) -> bool:
    """Whether an executed action submits: the submit tool, or the sentinel as first output line."""
    if action.tool == "submit":
        return True
    if scaffold.action_format == "bash_block" and output is not None:
        first = output.lstrip().split("\n", 1)[0].strip()
        return first == scaffold.submit_sentinel
    return False
