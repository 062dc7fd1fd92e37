"""A trajectory file as page rows: the prompt, then per step the reply, action and observation."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from agentbench.records import (
    ActionEvent,
    EndEvent,
    FormatErrorEvent,
    ModelCallEvent,
    ObservationEvent,
    StartEvent,
)
from agentbench.trajectory import Trajectory

FOLD_LINES = 30  # longer outputs are folded behind <details>
FOLD_CHARS = 3000
PREVIEW_LINES = 8


@dataclass(frozen=True)
class Text:
    """A block of text, folded when long (preview shown, the rest behind a click)."""

    text: str
    folded: bool
    preview: str
    n_lines: int

    @classmethod
    def of(cls, text: str) -> Text:
        """Fold `text` when it is long."""
        lines = text.split("\n")
        long = len(lines) > FOLD_LINES or len(text) > FOLD_CHARS
        preview = "\n".join(lines[:PREVIEW_LINES])[: FOLD_CHARS // 4] if long else text
        return cls(text=text, folded=long, preview=preview, n_lines=len(lines))


@dataclass
class Step:
    """One agent turn: what the model said, what it did, what came back."""

    step: int
    t: float | None = None  # seconds since the start
    reply: Text | None = None
    reasoning: Text | None = None
    tool_calls: list[str] = field(default_factory=list)
    usage: dict[str, Any] | None = None
    action: str | None = None  # "tool: arguments", one line or several
    action_tool: str | None = None
    observation: Text | None = None
    exit_code: int | None = None
    timed_out: bool = False
    truncated: bool = False
    duration_s: float | None = None
    format_error: str | None = None
    replayed: bool = False


@dataclass(frozen=True)
class TrajectoryView:
    """Everything the trajectory page shows."""

    prompt: list[tuple[str, Text]]  # (role, content) of the initial messages
    steps: list[Step]
    end: EndEvent | None
    start: StartEvent
    torn_tail: bool


def action_text(tool: str, arguments: dict[str, Any]) -> str:
    """An action as a person reads it: the command itself for bash, else compact JSON."""
    if len(arguments) == 1:
        (only,) = arguments.values()
        if isinstance(only, str):
            return only
    return json.dumps(arguments, ensure_ascii=False, sort_keys=True)


def build_view(traj: Trajectory) -> TrajectoryView:
    """Group a trajectory's events by step, in order."""
    start = traj.start
    steps: dict[int, Step] = {}

    def at(n: int, t: float) -> Step:
        s = steps.get(n)
        if s is None:
            s = steps[n] = Step(step=n, t=t - start.t)
        return s

    for e in traj.events[1:]:
        if isinstance(e, ModelCallEvent):
            s = at(e.step, e.t)
            r = e.response
            s.reply = Text.of(r.text) if r.text else None
            s.reasoning = Text.of(r.reasoning) if r.reasoning else None
            s.tool_calls = [
                f"{c.name}({c.arguments if isinstance(c.arguments, str) else json.dumps(c.arguments, ensure_ascii=False)})"
                for c in r.tool_calls
            ]
            s.usage = {
                "input": r.usage.input_tokens, "output": r.usage.output_tokens,
                "reasoning": r.usage.reasoning_tokens, "cached": r.usage.cached_tokens,
                "cost": r.cost_usd, "latency_s": r.latency_s, "retries": r.retries,
                "model": r.model, "finish": r.finish_reason,
            }  # fmt: skip
            s.replayed = e.replayed
        elif isinstance(e, ActionEvent):
            s = at(e.step, e.t)
            s.action = action_text(e.tool, e.arguments)
            s.action_tool = e.tool
        elif isinstance(e, ObservationEvent):
            s = at(e.step, e.t)
            if e.result is not None:
                s.observation = Text.of(e.result.output)
                s.exit_code = e.result.exit_code
                s.timed_out = e.result.timed_out
                s.truncated = e.result.truncated
                s.duration_s = e.result.duration_s
            else:
                s.observation = Text.of(e.message.content)
        elif isinstance(e, FormatErrorEvent):
            s = at(e.step, e.t)
            s.format_error = e.error
    return TrajectoryView(
        prompt=[(m.role, Text.of(m.content)) for m in start.messages], steps=[steps[k] for k in sorted(steps)], end=traj.end,
        start=start, torn_tail=traj.torn_tail,
    )  # fmt: skip
