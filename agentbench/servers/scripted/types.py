"""Records of the scripted server: what it received (ScriptedCall), what it answers (Reply),
and which fault it injects (Fault)."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field

from agentbench.records import Message, Record, ToolCall, Usage

FaultKind = Literal["429", "500", "hang", "malformed", "drop"]


class ScriptedCall(Record):
    """One chat request as the scripted server saw it, normalised from either wire format.

    Seeds: OpenAI requests carry `seed`; for Anthropic requests the seed is read from the
    `x-agentbench-seed` header, else from `metadata.user_id` of the form "seed-N" (the
    agentbench Anthropic client sends the latter, since the Messages API has no seed).
    """

    api: Literal["openai", "anthropic"]
    model: str
    messages: list[Message]
    seed: int | None = None
    tools: list[str] = Field(default_factory=list)
    stream: bool = False
    raw: dict[str, Any] = Field(default_factory=dict)
    index: int = 0  # 0-based count of calls answered by the responder

    def last(self, role: str | None = "user") -> Message | None:
        """The last message with `role` (any role when None), or None."""
        for m in reversed(self.messages):
            if role is None or m.role == role:
                return m
        return None


class Reply(Record):
    """A scripted answer. JSON-serialisable, so scripts can live in YAML/JSON files."""

    text: str = ""
    reasoning: str | None = None
    signature: str = "scripted"  # of the Anthropic thinking block carrying `reasoning`
    redacted: list[str] = Field(default_factory=list)  # Anthropic redacted_thinking data
    tool_calls: list[ToolCall] = Field(default_factory=list)
    usage: Usage | None = None  # None: count whitespace-separated tokens
    delay_s: float = 0.0
    finish_reason: str | None = None  # None: "tool_calls" when there are tool calls, else "stop"

    def usage_for(self, call: ScriptedCall) -> Usage:
        """The usage to report: the scripted one, else whitespace token counts."""
        if self.usage is not None:
            return self.usage
        n_in = sum(len(m.content.split()) for m in call.messages)
        n_reason = len(self.reasoning.split()) if self.reasoning else 0
        n_tools = sum(len(json.dumps(tc.arguments).split()) + 1 for tc in self.tool_calls)
        n_out = len(self.text.split()) + n_reason + n_tools
        return Usage(input_tokens=n_in, output_tokens=n_out, reasoning_tokens=n_reason)

    def finish(self) -> str:
        """The OpenAI-style finish reason."""
        if self.finish_reason is not None:
            return self.finish_reason
        return "tool_calls" if self.tool_calls else "stop"


class Fault(Record):
    """A fault the server injects instead of answering the next `count` chat requests."""

    kind: FaultKind
    retry_after: float | None = None  # seconds, sent as the retry-after header (429 only)
    count: int = 1
    hang_s: float = 3600.0  # "hang": how long to hold the request before closing it
