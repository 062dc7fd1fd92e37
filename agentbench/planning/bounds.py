"""Upper bounds on one sample's tokens from the spec's limits, when no run measured them.

Tokens are counted as characters / 4 (a common rule for English and code; stated in the plan).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentbench.config import SystemConfig

CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class Bound:
    """Tokens one sample can use at most (None: no limit bounds it), and how that was found."""

    input_tokens: float | None
    output_tokens: float | None
    how: str


def per_call_output(system: SystemConfig, task_max: int | None = None) -> int | None:
    """Output tokens one call may use: the task's cap, else the model's, else the API default."""
    if task_max is not None:
        return task_max
    if system.model.max_tokens is not None:
        return system.model.max_tokens
    if system.model.provider == "anthropic":
        from agentbench.models.anthropic_model import DEFAULT_MAX_TOKENS

        extra = system.model.reasoning_budget or 0
        return DEFAULT_MAX_TOKENS + extra
    return None


def agent_bound(system: SystemConfig, prompt_chars: float) -> Bound:
    """A ReAct unroll: N calls, each sees the prompt plus every earlier reply and observation."""
    from agentbench.scaffold import load_scaffold

    lim = system.limits
    scaffold = load_scaffold(system.scaffold, system.scaffold_overrides)
    steps = max(1, min(lim.max_steps, (lim.max_messages - 2) // 2))
    m = per_call_output(system)
    if m is None:
        return Bound(None, None, f"{steps} steps, no max_tokens: unbounded")
    obs = (
        scaffold.truncation.head_chars
        + scaffold.truncation.tail_chars
        + len(scaffold.observation_template)
    ) / CHARS_PER_TOKEN
    p = (len(scaffold.system_template) + len(scaffold.instance_template) + prompt_chars) / (
        CHARS_PER_TOKEN
    )
    # call i (0-based) sends the prompt and i earlier (reply, observation) pairs
    inp = steps * p + (m + obs) * steps * (steps - 1) / 2
    out = float(steps * m)
    how = f"bound: {steps} steps × {m} tok/call, obs ≤ {obs:.0f} tok"
    if lim.max_tokens is not None:
        inp, out = min(inp, lim.max_tokens), min(out, lim.max_tokens)
        how += f", capped at {lim.max_tokens} tok"
    return Bound(inp, out, how)


def mc_bound(system: SystemConfig, task: Any | None, task_spec: dict[str, Any]) -> Bound:
    """One call per unroll: the few-shot prompt in, at most max_tokens out."""
    m = per_call_output(system, task_spec.get("max_tokens"))
    inp: float | None = None
    if task is not None and task.questions:
        ids = task.instance_ids()[:20]
        chars = [sum(len(msg.content) for msg in task.prompt(q, 0)) for q in ids]
        inp = sum(chars) / len(chars) / CHARS_PER_TOKEN
    how = "bound: 1 call" + (f" × {m} tok" if m is not None else ", no max_tokens")
    if inp is None:
        how += ", prompt unknown (dataset not loaded)"
    return Bound(inp, None if m is None else float(m), how)
