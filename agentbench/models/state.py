"""Provider state of assistant turns (signed thinking blocks) kept so it can be sent back.

A response's `provider_state` must return verbatim with its assistant turn on the next
request. A Message that carries it (copied by the caller) needs nothing else; for callers
that build the turn from text, reasoning and tool calls only, the model remembers the state
of every response it returned (live or from the cache) under a fingerprint of those fields.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from agentbench.records import Message, ModelResponse, ToolCall

# text, reasoning, (id, name, arguments as JSON) per tool call
Fingerprint = tuple[str, str | None, tuple[tuple[str, str, str], ...]]


def turn_fingerprint(text: str, reasoning: str | None, tool_calls: list[ToolCall]) -> Fingerprint:
    """An assistant turn as a caller would rebuild it from a response, as a dict key.

    A plain tuple, not a digest: it is computed for every assistant turn of every request.
    """
    calls = tuple(
        (
            tc.id,
            tc.name,
            tc.arguments
            if isinstance(tc.arguments, str)
            else json.dumps(tc.arguments, sort_keys=True, default=str),
        )
        for tc in tool_calls
    )
    return (text, reasoning or None, calls)


def thinking_blocks_of(state: dict[str, Any] | None, wire: str) -> list[dict[str, Any]] | None:
    """The thinking blocks `wire` kept in a provider_state (`state[wire]["thinking_blocks"]`)."""
    mine = (state or {}).get(wire)
    blocks = mine.get("thinking_blocks") if isinstance(mine, dict) else None
    return blocks if isinstance(blocks, list) and blocks else None


class TurnStates:
    """Provider states of recent assistant turns (bounded; old ones fall out first)."""

    def __init__(self, keep: int = 4096) -> None:
        self.keep = keep
        self._states: OrderedDict[Fingerprint, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, resp: ModelResponse) -> None:
        """Keep `resp`'s provider state under its turn's fingerprint (no state: nothing kept)."""
        if not resp.provider_state:
            return
        fp = turn_fingerprint(resp.text, resp.reasoning, resp.tool_calls)
        with self._lock:
            self._states[fp] = resp.provider_state
            self._states.move_to_end(fp)
            while len(self._states) > self.keep:
                self._states.popitem(last=False)

    def recall(self, msg: Message) -> dict[str, Any] | None:
        """The provider state of an assistant turn: its own, else a remembered one, else None."""
        if msg.provider_state is not None:
            return msg.provider_state
        if not self._states:  # the common OpenAI case: no hashing per turn per request
            return None
        fp = turn_fingerprint(msg.content, msg.reasoning, msg.tool_calls)
        with self._lock:
            return self._states.get(fp)

    def __len__(self) -> int:
        with self._lock:
            return len(self._states)
