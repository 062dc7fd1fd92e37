"""End to end: SWEBenchTask.arun_sample with a scripted model over real HTTP, real Docker sandboxes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from scripted_plans import SUBMIT, replies_by_seed
from scripted_plans import bash_reply as bash

from agentbench.config import LimitsConfig, ModelConfig, SystemConfig
from agentbench.records import ExitStatus, SampleKey, SampleStatus, TestOutcome
from agentbench.servers.scripted import Reply, ScriptedServer
from agentbench.tasks.registry import make_task
from agentbench.tasks.swebench.task import SWEBenchTask
from agentbench.trajectory import read_trajectory

pytestmark = pytest.mark.docker

FIX_MUL = "sed -i 's/return a + b  # BUG/return a * b/' calc/__init__.py"
BREAK_SUB = "sed -i 's/return a - b/return b - a/' calc/__init__.py"
# a test file the agent writes: it must not reach the graded patch
OWN_TEST = "printf 'def test_mine():\\n    assert True\\n' > tests/test_mine.py"


@pytest.fixture(scope="module")
def task(docker_client: Any, base_image: str, tiny_suite: Path) -> SWEBenchTask:
    t = make_task({"kind": "swebench", "dataset": str(tiny_suite), "test_timeout_s": 120})
    assert isinstance(t, SWEBenchTask)
    return t


def _run(task: SWEBenchTask, tmp_path: Path, replies: list[Reply], seed: int = 0,
         overrides: dict[str, Any] | None = None, **limits: Any):  # fmt: skip
    with ScriptedServer.from_replies(replies) as srv:
        system = SystemConfig(
            name="scripted",
            model=ModelConfig(
                provider="scripted", name="scripted-1", base_url=srv.base_url, max_retries=0
            ),
            scaffold="bash-react",
            scaffold_overrides=overrides or {},
            limits=LimitsConfig.model_validate(limits),
        )
        key = SampleKey(
            task=task.name,
            instance_id="calc-1",
            system=system.name,
            system_hash=system.config_hash(),
            seed=seed,
        )
        return asyncio.run(task.arun_sample(key, system, tmp_path))


def _vector(o: Any) -> dict[str, bool]:
    assert isinstance(o, TestOutcome)
    return dict(zip(o.tests, o.passed, strict=True))


def test_gold_fix_is_resolved(task: SWEBenchTask, tmp_path: Path) -> None:
    res = _run(task, tmp_path, [bash(1, FIX_MUL), bash(2, OWN_TEST), SUBMIT])
    assert res.status == SampleStatus.DONE and res.exit_status == ExitStatus.SUBMITTED
    assert res.resolved is True and res.outcome is not None
    assert all(res.outcome.passed) and not res.outcome.unchanged and res.outcome.patch_applied
    assert res.n_actions == 3 and res.length == 3.0  # submit is an action too
    traj = read_trajectory(tmp_path / str(res.trajectory_path))
    info = traj.start.task_info
    assert info["instance_id"] == "calc-1" and info["workdir"] == "/testbed"
    assert info["base_commit"] == task.instance("calc-1").base_commit
    assert info["image"].startswith("agentbench-instance-calc-1:")
    assert info["env"]["PYTHONHASHSEED"] == "0"
    patch = traj.end.patch if traj.end else ""
    assert "calc/__init__.py" in patch and "test_mine" not in patch
    assert (tmp_path / "grading" / f"{res.key.key}.log").is_file()


def test_doing_nothing_is_unchanged(task: SWEBenchTask, tmp_path: Path) -> None:
    res = _run(task, tmp_path, [SUBMIT])
    assert res.outcome is not None and res.outcome.unchanged
    assert _vector(res.outcome) == {
        "tests/test_calc.py::test_mul": False,
        "tests/test_calc.py::test_add": True,
        "tests/test_calc.py::test_sub": True,
    }
    assert res.resolved is False


def test_breaking_a_pass_to_pass_test_shows_in_the_vector(
    task: SWEBenchTask, tmp_path: Path
) -> None:
    res = _run(task, tmp_path, [bash(1, FIX_MUL), bash(2, BREAK_SUB), SUBMIT])
    assert res.outcome is not None and not res.outcome.unchanged
    assert _vector(res.outcome) == {
        "tests/test_calc.py::test_mul": True,
        "tests/test_calc.py::test_add": True,
        "tests/test_calc.py::test_sub": False,
    }
    assert res.resolved is False


def test_limit_hit_is_unchanged_even_with_a_fix(task: SWEBenchTask, tmp_path: Path) -> None:
    res = _run(task, tmp_path, [bash(1, FIX_MUL), bash(2, "true"), SUBMIT], max_steps=1)
    assert res.exit_status == ExitStatus.STEP_LIMIT
    assert res.outcome is not None and res.outcome.unchanged and not res.resolved


def test_the_scaffolds_own_budget_submits_and_is_graded(task: SWEBenchTask, tmp_path: Path) -> None:
    # submit_after is the scaffold's choice, not a limit: the fix made in its one action counts
    replies = [bash(1, FIX_MUL), bash(2, BREAK_SUB), SUBMIT]
    res = _run(task, tmp_path, replies, overrides={"submit_after": 1}, max_steps=3)
    assert res.exit_status == ExitStatus.AUTO_SUBMITTED and res.n_actions == 1
    assert res.outcome is not None and not res.outcome.unchanged and res.resolved is True
    traj = read_trajectory(tmp_path / str(res.trajectory_path))
    assert traj.end is not None and traj.end.exit_status == ExitStatus.AUTO_SUBMITTED
    assert len([e for e in traj.events if type(e).__name__ == "ModelCallEvent"]) == 1


def test_sweep_over_the_suite_stores_per_test_vectors(
    docker_client: Any, base_image: str, tiny_suite: Path, tmp_path: Path
) -> None:
    from agentbench.store.runstore import RunStore
    from agentbench.sweep.runner import run_sweep
    from agentbench.sweep.spec import validate_spec

    plans = {0: [bash(1, FIX_MUL)], 1: [], 2: [bash(1, FIX_MUL), bash(2, BREAK_SUB)]}

    with ScriptedServer(replies_by_seed(plans)) as srv:
        doc = {
            "name": "tiny",
            "run_dir": str(tmp_path / "run"),
            "tasks": [{"kind": "swebench", "dataset": str(tiny_suite), "filter": "calc-1"}],
            "systems": [
                {
                    "name": "scripted",
                    "model": {"provider": "scripted", "name": "s", "base_url": srv.base_url},
                    "scaffold": "bash-react",
                }
            ],
            "seeds": 3,
            "concurrency": {"samples": 2},
        }
        s = run_sweep(validate_spec(doc, "spec.yaml"))
        assert (s.done, s.missing) == (3, 0)
    with RunStore.open(tmp_path / "run") as store:
        got = {r.key.seed: r for r in store.iter_results()}
    assert got[0].resolved and all(got[0].outcome.passed)
    assert got[1].outcome.unchanged and got[1].outcome.passed == [False, True, True]
    assert got[2].outcome.passed == [True, True, False] and not got[2].resolved
    for r in got.values():
        assert (tmp_path / "run" / str(r.trajectory_path)).is_file()


def test_prepare_builds_every_image_the_sweep_will_run(
    task: SWEBenchTask, docker_client: Any, tiny_suite: Path
) -> None:
    from agentbench.sweep.demo import prebuild
    from agentbench.sweep.spec import SweepSpec

    seen: list[str] = []
    task.prepare(seen.append)
    assert seen == task.instance_ids()
    for iid in seen:
        docker_client.images.get(task.image(task.instance(iid)))  # raises if it is not there
    spec = SweepSpec.model_validate(
        {"name": "p", "tasks": [{"kind": "swebench", "dataset": str(tiny_suite), "slice": ":1"}],
         "systems": [{"name": "s", "model": {"provider": "scripted", "name": "x"},
                      "scaffold": "bash-react"}]}
    )  # fmt: skip
    announced: list[str] = []
    factory = prebuild(spec, announced.append)
    assert announced == ["calc-1"] and factory(spec.tasks[0]).instance_ids() == ["calc-1"]
