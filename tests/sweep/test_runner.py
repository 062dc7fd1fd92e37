"""Sweeps through the local executor: resume by key, retry policy, MISSING, cost limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentbench.records import SampleStatus
from agentbench.store.runstore import RunStore
from agentbench.sweep.executor import Progress
from agentbench.sweep.runner import run_sweep
from agentbench.sweep.spec import validate_spec

from .conftest import CHAT_KIND, system_doc


def _ledger(run: Path) -> list[str]:
    p = run / "ledger.txt"
    return p.read_text().split() if p.exists() else []


def test_second_run_does_nothing(seed_spec: dict[str, Any]) -> None:
    spec = validate_spec(seed_spec, "spec.yaml")
    s1 = run_sweep(spec)
    assert (s1.planned, s1.done, s1.missing) == (18, 18, 0)
    run = Path(seed_spec["run_dir"])
    n_calls = len(_ledger(run)) // 2
    s2 = run_sweep(spec)
    assert (s2.already_done, s2.ran) == (18, 0)
    assert len(_ledger(run)) // 2 == n_calls  # the task was not called again
    with RunStore.open(run) as store:
        assert store.count(status="done") == 18
        r = next(store.iter_results())
        assert (run / r.trajectory_path).is_file()
        assert r.attempts == 1


def test_adding_a_system_runs_only_its_samples(seed_spec: dict[str, Any]) -> None:
    run_sweep(validate_spec(seed_spec, "spec.yaml"))
    with RunStore.open(seed_spec["run_dir"]) as store:
        before = {r.key.key: r for r in store.iter_results()}
    seed_spec["systems"].append(system_doc("c", 0.3))
    seed_spec["systems"][0]["name"] = "a-renamed"  # unchanged config: keeps its samples
    s = run_sweep(validate_spec(seed_spec, "spec.yaml"))
    assert (s.already_done, s.ran) == (18, 9)
    with RunStore.open(seed_spec["run_dir"]) as store:
        assert store.count(system="c") == 9
        assert store.count(system="a-renamed") == 9
        assert [x.name for x in store.systems()] == ["a-renamed", "b", "c"]
        after = {r.key.key: r for r in store.iter_results()}
    for k, r in before.items():
        assert after[k].outcome == r.outcome and after[k].finished_at == r.finished_at


def test_infra_failures_retry_then_missing_then_resume(seed_spec: dict[str, Any]) -> None:
    seed_spec["tasks"][0].update(flaky={"q0": 2}, broken=["q1"])
    spec = validate_spec(seed_spec, "spec.yaml")
    seen: list[Progress] = []
    s = run_sweep(spec, on_progress=seen.append)
    assert (s.done, s.missing) == (12, 6)
    with RunStore.open(seed_spec["run_dir"]) as store:
        q0 = list(store.iter_results(instance_id="q0"))
        assert {r.attempts for r in q0} == {3}  # two infra failures, then an outcome
        assert all(r.status == SampleStatus.DONE for r in q0)
        q1 = list(store.iter_results(instance_id="q1"))
        assert all(r.status == SampleStatus.MISSING and r.outcome is None for r in q1)
        assert all(r.error and r.error.startswith("sandbox_start") for r in q1)
        assert {r.attempts for r in q1} == {3}
        seeds_q1 = sorted(r.key.seed for r in q1 if r.key.system == "a")
        assert seeds_q1 == [0, 1, 2]  # the same seeds, never re-rolled
    assert seen[-1].missing == 6 and seen[-1].retries == 6 * 2 + 6 * 2
    # the next run retries only the MISSING ones; attempts keep counting
    s2 = run_sweep(spec)
    assert (s2.already_done, s2.ran, s2.missing) == (12, 6, 6)
    with RunStore.open(seed_spec["run_dir"]) as store:
        assert {r.attempts for r in store.iter_results(instance_id="q1")} == {6}


def test_cost_limit_stops_scheduling(seed_spec: dict[str, Any]) -> None:
    seed_spec["tasks"][0]["cost_usd"] = 1.0
    seed_spec["cost_limit_usd"] = 5.0
    seed_spec["concurrency"]["samples"] = 1
    s = run_sweep(validate_spec(seed_spec, "spec.yaml"))
    assert s.stopped_by_cost and s.done == 5 and s.not_scheduled == 13
    assert s.cost_usd == 5.0
    # raising the limit resumes where it stopped
    seed_spec["cost_limit_usd"] = 7.0
    s2 = run_sweep(validate_spec(seed_spec, "spec.yaml"))
    assert (s2.already_done, s2.done, s2.stopped_by_cost) == (5, 2, True)


def test_chat_task_through_scripted_server(tmp_path: Path) -> None:
    scripted = pytest.importorskip("agentbench.servers.scripted")
    Reply, ScriptedServer = scripted.Reply, scripted.ScriptedServer

    from .sweeptasks import scripted_answer

    def respond(call: Any) -> Reply:
        inst = call.last("user").content.split()[1].rstrip(":")
        return Reply(
            text=f"The answer is {scripted_answer(inst, call.seed, call.raw.get('temperature'))}"
        )

    with ScriptedServer(respond) as srv:
        doc = {
            "name": "chat",
            "run_dir": str(tmp_path / "run"),
            "tasks": [{"kind": CHAT_KIND, "instances": 4}],
            "systems": [system_doc("a", 0.2, srv.base_url), system_doc("b", 0.8, srv.base_url)],
            "seeds": 5,
            "concurrency": {"samples": 8},
        }
        s = run_sweep(validate_spec(doc, "spec.yaml"))
        assert (s.done, s.missing) == (40, 0)
        assert len(srv.calls) == 40
    with RunStore.open(tmp_path / "run") as store:
        for r in store.iter_results():
            temp = 0.2 if r.key.system == "a" else 0.8
            want = scripted_answer(r.key.instance_id, r.key.seed, temp)
            assert r.outcome.answer_text == want
            assert r.usage.output_tokens == 4


def test_stale_trajectory_without_a_row_is_replaced(seed_spec: dict[str, Any]) -> None:
    """A crash can leave a trajectory file before the RUNNING mark was committed."""
    from agentbench.records import Message, StartEvent
    from agentbench.sweep.plan import plan_samples
    from agentbench.tasks.registry import make_task
    from agentbench.trajectory import TrajectoryWriter, read_trajectory

    from .sweeptasks import trajectory_rel

    spec = validate_spec(seed_spec, "spec.yaml")
    key = plan_samples(spec, [make_task(t) for t in spec.tasks])[0].key
    run = Path(seed_spec["run_dir"])
    with TrajectoryWriter(run / trajectory_rel(key)) as tw:
        tw.write(StartEvent(key=key, t=0.0, messages=[Message(role="user", content="old")]))
    run_sweep(spec)
    traj = read_trajectory(run / trajectory_rel(key))
    starts = [e for e in traj.events if e.type == "start"]
    assert len(starts) == 1 and starts[0].t > 0 and traj.end is not None


def test_each_task_reaps_its_orphans_before_the_run_folder_exists(
    seed_spec: dict[str, Any],
) -> None:
    from agentbench.planning.pilot import run_pilot

    from .sweeptasks import SeedTask

    run = Path(seed_spec["run_dir"])
    seen: list[tuple[str, bool]] = []

    class Reaping(SeedTask):
        def reap_orphans(self) -> None:
            seen.append((self.name, run.exists()))

    seed_spec["tasks"].append({"kind": seed_spec["tasks"][0]["kind"], "name": "more"})
    spec = validate_spec(seed_spec, "spec.yaml")
    run_sweep(spec, task_factory=Reaping)
    assert seen == [("seeds", False), ("more", False)]
    seen.clear()
    run_pilot(spec, 2, factory=Reaping, run_dir=run.with_name("pilot"))
    assert [n for n, _ in seen] == ["seeds", "more"]  # the pilot's cut of a task reaps as it does
