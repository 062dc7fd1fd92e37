"""Property: whatever the model replies, the trajectory replays into the messages it was sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentbench.models.factory import make_model
from agentbench.records import ExitStatus, ToolCall
from agentbench.servers.scripted import Reply, ScriptedServer
from agentbench.trajectory import read_trajectory

from .conftest import TASK_VARS, key_for, run_agent, system_for

pytestmark = pytest.mark.docker

_words = st.text(alphabet="abc xyz<>&\"'\n", max_size=12)
_cmd = st.sampled_from(["echo hi", "printf 'a\\nb'", "false", "ls /nope", "echo $((1+2))"])


def _tool_reply(draw: st.DrawFn, i: int) -> Reply:
    kinds = draw(st.lists(st.sampled_from(["bash", "bad_args", "unknown", "json"]), max_size=2))
    calls = []
    for j, k in enumerate(kinds):
        cid = f"c{i}_{j}"
        if k == "bash":
            calls.append(ToolCall(id=cid, name="bash", arguments={"command": draw(_cmd)}))
        elif k == "bad_args":
            calls.append(ToolCall(id=cid, name="bash", arguments={"cmd": "x"}))
        elif k == "unknown":
            calls.append(ToolCall(id=cid, name="python", arguments={}))
        else:
            calls.append(ToolCall(id=cid, name="bash", arguments="{oops"))
    return Reply(text=draw(_words), tool_calls=calls)


def _block_reply(draw: st.DrawFn, i: int) -> Reply:
    n = draw(st.integers(0, 2))
    blocks = "".join(f"\n```bash\n{draw(_cmd)}\n```\n" for _ in range(n))
    return Reply(text=draw(_words) + blocks)


@st.composite
def scripts(draw: st.DrawFn) -> tuple[str, list[Reply]]:
    scaffold = draw(st.sampled_from(["bash-react", "bash-block"]))
    make = _tool_reply if scaffold == "bash-react" else _block_reply
    return scaffold, [make(draw, i) for i in range(draw(st.integers(1, 4)))]


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(scripts())
def test_trajectory_replays_into_what_the_model_saw(
    sandbox: Any, tmp_path: Path, script: tuple[str, list[Reply]]
) -> None:
    scaffold, replies = script
    with ScriptedServer.from_replies(replies) as srv:
        # the step limit ends every run after exactly len(replies) model calls
        system = system_for(
            srv.base_url, scaffold, {"max_steps": len(replies), "max_format_errors": 100}
        )
        path = tmp_path / f"rt-{len(list(tmp_path.iterdir()))}.jsonl"
        res = run_agent(
            model=make_model(system.model), scaffold=scaffold, sandbox=sandbox, key=key_for(system),
            system=system, task_vars=TASK_VARS, trajectory_path=path,
        )  # fmt: skip
        calls = list(srv.calls)
    assert res.exit_status in (ExitStatus.STEP_LIMIT, ExitStatus.SUBMITTED)
    msgs = read_trajectory(path).messages()
    assert len(msgs) == res.n_messages
    for c in calls:  # every request is a prefix of the replayed conversation
        got = [(m.role, m.content, m.tool_call_id) for m in msgs[: len(c.messages)]]
        assert got == [(m.role, m.content, m.tool_call_id) for m in c.messages]
