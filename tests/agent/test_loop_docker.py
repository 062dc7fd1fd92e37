"""The agent loop end to end: real Docker sandbox, real HTTP scripted model server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentbench.errors import InfraError
from agentbench.models.factory import make_model
from agentbench.records import (
    EndEvent,
    ExitStatus,
    FormatErrorEvent,
    ModelCallEvent,
    ObservationEvent,
    ToolCall,
    Usage,
)
from agentbench.servers.scripted import Fault, Reply, ScriptedServer
from agentbench.trajectory import read_trajectory

from .conftest import TASK_VARS, WORKDIR, key_for, run_agent, system_for

pytestmark = pytest.mark.docker

FIX = "sed -i 's/a - b/a + b/' calc.py"
TEST = "python3 -m pytest -q test_calc.py 2>&1 | tail -3"


def call(name: str, i: int, **args: Any) -> ToolCall:
    return ToolCall(id=f"call_{i}", name=name, arguments=args)


def bash(i: int, command: str) -> Reply:
    return Reply(text=f"step {i}", tool_calls=[call("bash", i, command=command)])


def block(command: str) -> Reply:
    return Reply(text=f"THOUGHT: next.\n\n```bash\n{command}\n```\n")


SUBMIT = Reply(text="done", tool_calls=[call("submit", 99)])

SCRIPTS: dict[str, list[Reply]] = {
    "bash-react": [bash(1, "cat calc.py"), bash(2, FIX), bash(3, TEST), SUBMIT],
    "bash-block": [
        block("cat calc.py"),
        block(FIX),
        block(TEST),
        block("echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"),
    ],
    "edit-tool": [
        Reply(tool_calls=[call("edit", 1, command="view", path=f"{WORKDIR}/calc.py")]),
        Reply(
            tool_calls=[
                call(
                    "edit",
                    2,
                    command="str_replace",
                    path=f"{WORKDIR}/calc.py",
                    old_str="a - b",
                    new_str="a + b",
                )
            ]
        ),
        bash(3, TEST),
        SUBMIT,
    ],
}


def _run(sandbox: Any, tmp_path: Path, replies: list[Reply], scaffold: str = "bash-react",
         limits: dict[str, Any] | None = None, seed: int = 0, **model: Any):  # fmt: skip
    with ScriptedServer.from_replies(replies) as srv:
        system = system_for(srv.base_url, scaffold, limits, **model)
        traj = tmp_path / f"{scaffold}-{seed}.jsonl"
        res = run_agent(
            model=make_model(system.model),
            scaffold=scaffold,
            sandbox=sandbox,
            key=key_for(system, seed),
            system=system,
            task_vars=TASK_VARS,
            trajectory_path=traj,
            patch_fn=lambda: sandbox.diff(),
            task_info={"image": "x", "workdir": WORKDIR},
        )
        return res, read_trajectory(traj), srv.calls


@pytest.mark.parametrize("scaffold", ["bash-react", "bash-block", "edit-tool"])
def test_scaffold_edits_tests_and_submits(sandbox: Any, tmp_path: Path, scaffold: str) -> None:
    res, traj, calls = _run(sandbox, tmp_path, SCRIPTS[scaffold], scaffold, seed=7)
    assert res.exit_status == ExitStatus.SUBMITTED
    assert res.n_steps == 4 and res.n_format_errors == 0
    assert "+    return a + b" in res.patch and "-    return a - b" in res.patch
    assert traj.end is not None and traj.end.patch == res.patch
    obs = [e for e in traj.events if isinstance(e, ObservationEvent)]
    assert any("1 passed" in e.message.content for e in obs)
    # the request carried the unroll's seed
    assert [c.seed for c in calls] == [7, 7, 7, 7]
    # tools are offered only with the tool-call format
    assert bool(calls[0].tools) == (scaffold != "bash-block")
    # the trajectory replays into exactly the message list the model was sent
    msgs = traj.messages()
    assert len(msgs) == res.n_messages
    last_sent = calls[-1].messages
    assert [(m.role, m.content) for m in msgs[: len(last_sent)]] == [
        (m.role, m.content) for m in last_sent
    ]
    assert [m.tool_call_id for m in msgs[: len(last_sent)]] == [m.tool_call_id for m in last_sent]
    for i, c in enumerate(calls):
        assert len(c.messages) == len(calls[0].messages) + 2 * i  # one reply + one observation


def test_format_error_goes_back_as_observation(sandbox: Any, tmp_path: Path) -> None:
    replies = [Reply(text="I will just think."), bash(1, "echo ok"), SUBMIT]
    res, traj, calls = _run(sandbox, tmp_path, replies)
    assert res.exit_status == ExitStatus.SUBMITTED and res.n_format_errors == 1
    fe = [e for e in traj.events if isinstance(e, FormatErrorEvent)]
    assert len(fe) == 1 and "called no tool" in fe[0].error
    last = calls[1].last("user")
    assert last is not None and "Format error" in last.content


def test_bad_tool_call_answered_on_its_id(sandbox: Any, tmp_path: Path) -> None:
    replies = [Reply(tool_calls=[call("bash", 1, cmd="typo"), call("rm_rf", 2)]), SUBMIT]
    res, _traj, calls = _run(sandbox, tmp_path, replies)
    assert res.n_format_errors == 2 and res.exit_status == ExitStatus.SUBMITTED
    tools = [m for m in calls[1].messages if m.role == "tool"]
    assert [m.tool_call_id for m in tools] == ["call_1", "call_2"]
    assert "command" in tools[0].content and "unknown tool" in tools[1].content


def test_command_timeout_is_an_observation(sandbox: Any, tmp_path: Path) -> None:
    replies = [bash(1, "sleep 30"), bash(2, "echo still-alive"), SUBMIT]
    res, traj, _calls = _run(sandbox, tmp_path, replies, limits={"command_timeout_s": 1})
    assert res.exit_status == ExitStatus.SUBMITTED
    obs = [e for e in traj.events if isinstance(e, ObservationEvent)]
    assert obs[0].result is not None and obs[0].result.timed_out
    assert "did not finish within 1" in obs[0].message.content
    assert "still-alive" in obs[1].message.content  # the shell works after the timeout


@pytest.mark.parametrize(
    ("limits", "model", "replies", "status"),
    [
        ({"max_steps": 2}, {}, [bash(1, "true")], ExitStatus.STEP_LIMIT),
        ({"max_messages": 5}, {}, [bash(1, "true")], ExitStatus.MESSAGE_LIMIT),
        ({"max_tokens": 250}, {}, [Reply(text="", tool_calls=[call("bash", 1, command="true")], usage=Usage(input_tokens=100, output_tokens=10))], ExitStatus.TOKEN_LIMIT),
        ({"max_cost_usd": 0.002}, {"price_input_per_mtok": 10.0, "price_output_per_mtok": 10.0}, [Reply(tool_calls=[call("bash", 1, command="true")], usage=Usage(input_tokens=100, output_tokens=0))], ExitStatus.COST_LIMIT),
        ({"max_wall_s": 2, "command_timeout_s": 60}, {}, [bash(1, "sleep 0.8")], ExitStatus.TIME_LIMIT),
        ({"max_format_errors": 3}, {}, [Reply(text="no tool")], ExitStatus.FORMAT_ERROR_LIMIT),
    ],
    ids=["steps", "messages", "tokens", "cost", "wall", "format_errors"],
)  # fmt: skip
def test_each_limit_ends_with_its_status(
    sandbox: Any,
    tmp_path: Path,
    limits: dict,
    model: dict,
    replies: list[Reply],
    status: ExitStatus,
) -> None:
    res, traj, calls = _run(sandbox, tmp_path, replies, limits=limits, **model)
    assert res.exit_status == status, res
    assert traj.end is not None and traj.end.exit_status == status and traj.end.error
    if status == ExitStatus.STEP_LIMIT:
        assert res.n_steps == 2 and len(calls) == 2
    if status == ExitStatus.MESSAGE_LIMIT:
        assert res.n_messages >= 5 and len(calls) == 2
    if status == ExitStatus.TOKEN_LIMIT:
        assert len(calls) == 3  # 110, 220, 330 >= 250
    if status == ExitStatus.COST_LIMIT:
        assert res.cost_usd is not None and res.cost_usd >= 0.002 and len(calls) == 2
    if status == ExitStatus.FORMAT_ERROR_LIMIT:
        assert res.n_format_errors == 3
    assert len(traj.messages()) == res.n_messages


def test_model_infra_error_is_recorded_and_raised(sandbox: Any, tmp_path: Path) -> None:
    with ScriptedServer.from_replies([bash(1, "true")]) as srv:
        srv.inject(Fault(kind="500", count=50))
        system = system_for(srv.base_url)
        traj = tmp_path / "infra.jsonl"
        with pytest.raises(InfraError):
            run_agent(
                model=make_model(system.model), scaffold="bash-react", sandbox=sandbox,
                key=key_for(system), system=system, task_vars=TASK_VARS, trajectory_path=traj,
            )  # fmt: skip
    end = read_trajectory(traj).end
    assert isinstance(end, EndEvent) and end.exit_status == ExitStatus.INFRA_ERROR and end.error


def test_sandbox_failure_is_infra_error(make_sandbox: Any, tmp_path: Path) -> None:
    with make_sandbox() as sb:
        pass  # closed: the container is gone
    with ScriptedServer.from_replies([bash(1, "true")]) as srv:
        system = system_for(srv.base_url)
        traj = tmp_path / "dead.jsonl"
        with pytest.raises(InfraError) as ei:
            run_agent(
                model=make_model(system.model), scaffold="bash-react", sandbox=sb,
                key=key_for(system), system=system, task_vars=TASK_VARS, trajectory_path=traj,
            )  # fmt: skip
    assert ei.value.reason == "sandbox" or "sandbox" in str(ei.value)
    t = read_trajectory(traj)
    assert t.end is not None and t.end.exit_status == ExitStatus.INFRA_ERROR
    assert any(isinstance(e, ModelCallEvent) for e in t.events)


def test_request_hash_is_content_derived_under_every_durability(
    sandbox: Any, tmp_path: Path
) -> None:
    replies = [bash(1, "echo same"), SUBMIT]
    hashes = {}
    for seed, durability in [(7, "event"), (7, "none"), (7, "step"), (8, "step")]:
        with ScriptedServer.from_replies(replies) as srv:
            system = system_for(srv.base_url)
            path = tmp_path / f"h-{seed}-{durability}.jsonl"
            run_agent(
                model=make_model(system.model), scaffold="bash-react", sandbox=sandbox,
                key=key_for(system, seed), system=system, task_vars=TASK_VARS,
                trajectory_path=path, durability=durability,
            )  # fmt: skip
        t = read_trajectory(path)
        assert t.end is not None and t.end.exit_status == ExitStatus.SUBMITTED
        hashes[seed, durability] = [c.request_hash for c in t.model_calls()]
    assert hashes[7, "event"] == hashes[7, "none"] == hashes[7, "step"]
    assert len(set(hashes[7, "step"])) == 2  # each step's request differs
    assert hashes[8, "step"] != hashes[7, "step"]  # the seed is part of the request


def test_anthropic_wire_same_loop(sandbox: Any, tmp_path: Path) -> None:
    # the same unroll through the Anthropic Messages wire format (tool_use / tool_result)
    res, traj, calls = _run(
        sandbox, tmp_path, SCRIPTS["edit-tool"], "edit-tool", seed=5, extra={"wire": "anthropic"}
    )
    assert res.exit_status == ExitStatus.SUBMITTED and res.n_format_errors == 0
    assert "+    return a + b" in res.patch
    assert {c.api for c in calls} == {"anthropic"} and calls[0].seed == 5
    sent = [(m.role, m.content) for m in calls[-1].messages if m.role != "assistant"]
    mine = [(m.role, m.content) for m in traj.messages() if m.role != "assistant"]
    assert mine[: len(sent)] == sent


def test_concurrent_unrolls_in_one_event_loop(make_sandbox: Any, tmp_path: Path) -> None:
    # Sandbox commands run in threads, so unrolls sharing one event loop overlap.
    import asyncio
    import contextlib

    from agentbench.agent.loop import arun_agent

    cmd = "date +%s.%N; sleep 1; date +%s.%N"
    with (
        ScriptedServer(lambda c: SUBMIT if c.last("tool") else bash(1, cmd)) as srv,
        contextlib.ExitStack() as stack,
    ):
        system = system_for(srv.base_url)
        boxes = [stack.enter_context(make_sandbox()) for _ in range(3)]
        models = [make_model(system.model) for _ in boxes]

        async def all_runs() -> list[Any]:
            return await asyncio.gather(*[
                arun_agent(
                    model=m, scaffold="bash-react", sandbox=sb, key=key_for(system, seed),
                    system=system, task_vars=TASK_VARS, trajectory_path=tmp_path / f"c{seed}.jsonl",
                )
                for seed, (sb, m) in enumerate(zip(boxes, models, strict=True))
            ])  # fmt: skip

        results = asyncio.run(all_runs())
    assert [r.exit_status for r in results] == [ExitStatus.SUBMITTED] * 3
    spans = []
    for seed in range(3):
        t = read_trajectory(tmp_path / f"c{seed}.jsonl")
        assert t.start.key.seed == seed
        obs = next(e for e in t.events if isinstance(e, ObservationEvent))
        assert obs.result is not None
        start, end = (float(x) for x in obs.result.output.split())
        spans.append((start, end))
    # the commands ran at the same time: every one started before any one finished
    assert max(s for s, _ in spans) < min(e for _, e in spans)
