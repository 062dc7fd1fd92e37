"""Secrets never reach a sandbox or a log; replay finds environment nondeterminism; forks."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import structlog

from agentbench.agent.replay import fork, replay_actions
from agentbench.logging import configure
from agentbench.models.factory import make_model
from agentbench.records import ExitStatus, ModelCallEvent, TestOutcome, ToolCall
from agentbench.servers.scripted import Reply, ScriptedCall, ScriptedServer

from .conftest import TASK_VARS, WORKDIR, key_for, run_agent, system_for

pytestmark = pytest.mark.docker

PLANTED = "sk-agentbench-PLANTED-secret-0123456789abcdef"


def call(name: str, i: int, **args: Any) -> ToolCall:
    return ToolCall(id=f"call_{i}", name=name, arguments=args)


def bash(i: int, command: str) -> Reply:
    return Reply(text=f"step {i}", tool_calls=[call("bash", i, command=command)])


SUBMIT = Reply(text="done", tool_calls=[call("submit", 99)])


def test_planted_key_reaches_no_sandbox_trajectory_or_log(
    sandbox: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", PLANTED)
    monkeypatch.setenv("AGENTBENCH_TEST_SECRET_TOKEN", PLANTED)
    configure("DEBUG")  # log everything the loop and the model client say
    caplog.set_level(logging.DEBUG)  # ... and every stdlib logger (httpx, openai SDK)
    try:
        replies = [bash(1, "env; cat /proc/1/environ | tr '\\0' '\\n'"), bash(2, "set"), SUBMIT]
        with ScriptedServer.from_replies(replies) as srv:
            # the client really uses the key (it travels to the provider, as it must) ...
            system = system_for(srv.base_url, api_key_env="OPENAI_API_KEY")
            traj = tmp_path / "secret.jsonl"
            res = run_agent(
                model=make_model(system.model), scaffold="bash-react", sandbox=sandbox,
                key=key_for(system), system=system, task_vars=TASK_VARS, trajectory_path=traj,
                patch_fn=lambda: sandbox.diff(),
            )  # fmt: skip
            headers = [c.raw for c in srv.calls]
    finally:
        # configure() bound the logger to the captured stderr, which pytest closes later
        structlog.reset_defaults()
        logging.getLogger().setLevel(logging.WARNING)
    assert res.exit_status == ExitStatus.SUBMITTED
    assert headers  # the server was reached
    # ... but not the sandbox: its env output shows neither the key nor a redaction of it
    env_out = sandbox.exec("env", 10).output
    assert PLANTED not in env_out and "AGENTBENCH_TEST_SECRET_TOKEN" not in env_out
    text = traj.read_text()
    assert "PATH=" in text  # the env dump is in the trajectory
    assert PLANTED not in text and "[REDACTED]" not in text
    logs = capfd.readouterr()
    assert "agent_end" in logs.err  # logging was on
    assert PLANTED not in logs.out and PLANTED not in logs.err
    assert caplog.records  # the SDK's debug logging was captured
    assert PLANTED not in caplog.text


def test_redaction_if_a_secret_does_leak(
    sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A task that put a secret into the sandbox by mistake: the observation is scrubbed.
    monkeypatch.setenv("SOME_API_KEY", PLANTED)
    sandbox.exec(f"echo {PLANTED} > /tmp/leak", 10)
    with ScriptedServer.from_replies([bash(1, "cat /tmp/leak"), SUBMIT]) as srv:
        system = system_for(srv.base_url)
        traj = tmp_path / "leak.jsonl"
        run_agent(
            model=make_model(system.model), scaffold="bash-react", sandbox=sandbox,
            key=key_for(system), system=system, task_vars=TASK_VARS, trajectory_path=traj,
        )  # fmt: skip
        sent = [m.content for c in srv.calls for m in c.messages]
    assert PLANTED not in traj.read_text() and "[REDACTED]" in traj.read_text()
    assert not any(PLANTED in s for s in sent)


def _record(sandbox: Any, tmp_path: Path, replies: list[Reply]) -> Path:
    with ScriptedServer.from_replies(replies) as srv:
        system = system_for(srv.base_url)
        traj = tmp_path / "orig.jsonl"
        run_agent(
            model=make_model(system.model), scaffold="bash-react", sandbox=sandbox,
            key=key_for(system, 1), system=system, task_vars=TASK_VARS, trajectory_path=traj,
            patch_fn=lambda: sandbox.diff(),
            task_info={"image": "n/a", "workdir": WORKDIR},
        )  # fmt: skip
    return traj


def test_replay_reports_nondeterministic_steps(make_sandbox: Any, tmp_path: Path) -> None:
    replies = [
        bash(1, "sed -i 's/a - b/a + b/' calc.py && cat calc.py"),
        bash(2, "head -c 12 /dev/urandom | od -An -tx1"),  # differs on every run
        bash(3, "python3 -m pytest -q test_calc.py 2>&1 | tail -1 | cut -d' ' -f1-2"),
        SUBMIT,
    ]
    with make_sandbox() as sb:
        traj = _record(sb, tmp_path, replies)
    with make_sandbox() as fresh:
        rep = replay_actions(traj, fresh)
    assert rep.n_actions == 3  # submit runs nothing
    assert [s.same for s in rep.steps] == [True, False, True]
    assert rep.first_divergence == 1 and rep.n_differ == 1
    assert rep.steps[1].diff.startswith("--- recorded")


def _grader(make_sandbox: Any) -> Any:
    """A real grader: apply the patch in a fresh sandbox and run the test."""

    def grade(patch: str) -> TestOutcome:
        with make_sandbox() as sb:
            if patch:
                sb.exec(f"git apply <<'EOF'\n{patch}EOF", 30)
            ok = sb.exec("python3 -m pytest -q test_calc.py", 60).exit_code == 0
        return TestOutcome(
            tests=["test_calc.py::test_add"], passed=[ok], fail_to_pass=["test_calc.py::test_add"],
            pass_to_pass=[], resolved=ok,
        )  # fmt: skip

    return grade


def test_fork_keeps_prefix_and_spreads_over_seeds(make_sandbox: Any, tmp_path: Path) -> None:
    recorded = [bash(1, "cat calc.py"), bash(2, "sed -i 's/a - b/a * b/' calc.py"), SUBMIT]
    with make_sandbox() as sb:
        traj = _record(sb, tmp_path, recorded)

    def by_seed(c: ScriptedCall) -> Reply:
        # each fork makes two live calls: an edit (odd seeds fix the bug, even seeds
        # break it differently), then submit
        if c.index % 2 == 1:
            return SUBMIT
        cmd = "s/a - b/a + b/" if (c.seed or 0) % 2 else "s/a - b/b - a/"
        return bash(10 + c.index, f"sed -i '{cmd}' calc.py")

    # concurrency 1: the responder alternates by call index
    with ScriptedServer(by_seed) as srv:
        system = system_for(srv.base_url)
        rep = fork(
            traj, [1], [1, 2, 3, 4], make_model(system.model), sandbox_factory=make_sandbox,
            out_dir=tmp_path / "forks", model_config=system.model, grade=_grader(make_sandbox),
        )  # fmt: skip
        seeds_sent = [c.seed for c in srv.calls]
    assert seeds_sent == [1, 1, 2, 2, 3, 3, 4, 4]  # the replayed first call never hit the server
    assert [r.exit_status for r in rep.results] == [ExitStatus.SUBMITTED] * 4
    assert [r.outcome.resolved for r in rep.results if r.outcome] == [True, False, True, False]
    (sp,) = rep.spread
    assert sp.fork_at == 1 and sp.n == 4 and sp.distinct_patches == 2
    assert sp.resolved_rate == 0.5 and sp.variance == pytest.approx(0.25)
    forked = Path(rep.results[0].trajectory_path)
    from agentbench.trajectory import read_trajectory

    t0, t1 = read_trajectory(traj), read_trajectory(forked)
    calls = [e for e in t1.events if isinstance(e, ModelCallEvent)]
    assert calls[0].replayed and not calls[1].replayed
    assert calls[0].response == t0.model_calls()[0].response
    assert t1.start.key.seed == 1 and t1.start.task_info["fork_at"] == 1
    assert t1.messages()[:4] == t0.messages()[:4]  # prompt, replayed reply, its observation
