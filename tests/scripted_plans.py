"""Scripted agent plans for tests: per-seed lists of tool-call replies, then submit."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from agentbench.records import ToolCall
from agentbench.servers.scripted import Reply, ScriptedCall

SUBMIT = Reply(text="done", tool_calls=[ToolCall(id="s", name="submit", arguments={})])


def bash_reply(i: int, command: str) -> Reply:
    """A reply that runs `command` with the bash tool (call id `c{i}`)."""
    return Reply(
        text=f"step {i}",
        tool_calls=[ToolCall(id=f"c{i}", name="bash", arguments={"command": command})],
    )


def replies_by_seed(
    plans: Mapping[int, Sequence[Reply]], then: Reply = SUBMIT
) -> Callable[[ScriptedCall], Reply]:
    """A responder that plays seed s's plan step by step (steps = replies so far), then `then`."""

    def respond(call: ScriptedCall) -> Reply:
        step = sum(1 for m in call.messages if m.role == "assistant")
        plan = plans[int(call.seed or 0)]
        return plan[step] if step < len(plan) else then

    return respond
