"""A key that turns up in the model's own reply, reasoning or command is redacted in the trajectory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentbench.models.factory import make_model
from agentbench.records import ToolCall
from agentbench.servers.scripted import Reply, ScriptedServer
from agentbench.trajectory import read_trajectory

from .conftest import TASK_VARS, key_for, run_agent, system_for

pytestmark = pytest.mark.docker

PLANTED = "sk-agentbench-STORED-secret-0123456789abcdef"
SUBMIT = Reply(text="done", tool_calls=[ToolCall(id="c9", name="submit", arguments={})])


def _bash(command: str, **reply: Any) -> Reply:
    return Reply(
        tool_calls=[ToolCall(id="c1", name="bash", arguments={"command": command})], **reply
    )


@pytest.mark.parametrize(
    "where",
    [
        pytest.param(_bash("true", text=f"the key is {PLANTED}"), id="reply"),
        pytest.param(_bash("true", text="thinking", reasoning=f"I saw {PLANTED}"), id="reasoning"),
        pytest.param(_bash(f"curl -H 'Authorization: Bearer {PLANTED}' x || true"), id="command"),
    ],
)
def test_a_secret_in_the_models_own_text_is_stored_redacted(
    sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: Reply
) -> None:
    monkeypatch.setenv("SOME_API_KEY", PLANTED)
    with ScriptedServer.from_replies([where, SUBMIT]) as srv:
        system = system_for(srv.base_url)
        traj = tmp_path / "t.jsonl"
        run_agent(
            model=make_model(system.model), scaffold="bash-react", sandbox=sandbox,
            key=key_for(system), system=system, task_vars=TASK_VARS, trajectory_path=traj,
        )  # fmt: skip
    text = traj.read_text()
    assert PLANTED not in text
    assert "[REDACTED]" in text
    assert read_trajectory(traj).end is not None  # still a valid trajectory
