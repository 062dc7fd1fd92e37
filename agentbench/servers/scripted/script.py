"""File-driven responders: a YAML (or JSON) script of regex rules for the scripted server.

rules:
  - match: "fix the bug"      # regex, searched in the last message of role `role`
    role: user                # user (default) | tool | any
    reply: {tool_calls: [{id: c1, name: bash, arguments: {command: "ls"}}]}
default: {text: "I cannot help with that."}
replies: [...]                # optional instead of rules: cycled per call
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from agentbench.errors import ConfigError
from agentbench.records import Record, first_problem
from agentbench.safeyaml import read_yaml
from agentbench.servers.scripted.types import Reply, ScriptedCall


class Rule(Record):
    """Answer `reply` when `match` is found in the last message of role `role`."""

    match: str
    role: Literal["user", "tool", "any"] = "user"
    reply: Reply


class Script(Record):
    """A scripted conversation: rules tried in order, else cycled replies, else the default."""

    rules: list[Rule] = Field(default_factory=list)
    replies: list[Reply] = Field(default_factory=list)
    default: Reply = Field(default_factory=lambda: Reply(text="(no scripted rule matched)"))


class ScriptResponder:
    """A responder built from a Script (callable on a ScriptedCall)."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self._compiled = [(re.compile(r.match), r) for r in script.rules]

    def __call__(self, call: ScriptedCall) -> Reply:
        """The first matching rule's reply, else the cycled reply, else the default."""
        for rx, rule in self._compiled:
            msg = call.last(None if rule.role == "any" else rule.role)
            if msg is not None and rx.search(msg.content):
                return rule.reply
        if self.script.replies:
            return self.script.replies[call.index % len(self.script.replies)]
        return self.script.default


def load_script(path: str | Path) -> ScriptResponder:
    """Read a script file; a bad file raises ConfigError naming the file and field."""
    p = Path(path)
    data = read_yaml(p, what="script", fix="see agentbench.servers.scripted.script for the format")
    try:
        script = Script.model_validate(data)
    except ValidationError as exc:
        loc, msg, _ = first_problem(exc)
        fix = "see agentbench.servers.scripted.script for the format"
        raise ConfigError(msg, path=str(p), field=loc or None, fix=fix) from None
    for i, rule in enumerate(script.rules):
        try:
            re.compile(rule.match)
        except re.error as exc:
            raise ConfigError(
                f"bad regex: {exc}",
                path=str(p),
                field=f"rules.{i}.match",
                fix="escape special characters",
            ) from exc
    return ScriptResponder(script)
