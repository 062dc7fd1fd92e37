"""Adding a task kind: one module and one registry line; a real sweep runs through it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from agentbench.errors import ConfigError
from agentbench.store.runstore import RunStore
from agentbench.sweep.runner import run_sweep
from agentbench.sweep.spec import validate_spec
from agentbench.tasks import registry
from tests.tasks.minimal_kind import MinimalTask, answer


def _spec(tmp_path: Path) -> dict[str, Any]:
    system = {"name": "s", "model": {"provider": "scripted", "name": "x"}, "scaffold": "none"}
    return {
        "name": "kind",
        "run_dir": str(tmp_path / "run"),
        "tasks": [{"kind": "minimal", "name": "mini", "instances": 3}],
        "systems": [system],
        "seeds": 4,
        "concurrency": {"samples": 5},
    }


def test_a_registered_kind_runs_a_sweep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = _spec(tmp_path)
    # the kind name is known only to the registry: bypass it and the spec cannot be built
    with pytest.raises(ConfigError, match="unknown task kind 'minimal'"):
        run_sweep(validate_spec(doc, "spec.yaml"))
    assert not Path(doc["run_dir"]).exists()  # refused before the run folder was made

    monkeypatch.setitem(registry.KINDS, "minimal", "tests.tasks.minimal_kind:MinimalTask")
    summary = run_sweep(validate_spec(doc, "spec.yaml"), executor="local")
    assert (summary.planned, summary.done, summary.missing) == (12, 12, 0)
    run = Path(doc["run_dir"])
    with RunStore.open(run) as store:
        rows = list(store.iter_results(status="done"))
        assert store.count(resolved=True) == sum(
            answer(f"m{i}", s) == 0 for i in range(3) for s in range(4)
        )
    assert len(rows) == 12
    for r in rows:
        a = answer(r.key.instance_id, r.key.seed)
        assert r.outcome.probs[a] == 1.0  # type: ignore[union-attr]
        written = (run / str(r.trajectory_path)).read_text()
        assert written == f"{r.key.instance_id} {r.key.seed} {a}\n"
    # resumable through the registry too: nothing is left to run
    assert run_sweep(validate_spec(doc, "spec.yaml")).ran == 0


def test_defaults_of_the_contract() -> None:
    task = registry.make_task({"kind": "tests.tasks.minimal_kind:MinimalTask", "instances": 1})
    assert isinstance(task, MinimalTask) and task.instance_ids() == ["m0"]
    seen: list[str] = []
    task.prepare(seen.append)
    assert seen == []  # nothing to prepare
    system = validate_spec(_spec(Path("unused")), "spec.yaml").systems[0]
    assert task.check_system(system) is None  # no system refused
    assert asyncio.run(task.aclose()) is None


def test_a_kind_that_is_not_a_task_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.KINDS, "dict", "builtins:dict")
    with pytest.raises(ConfigError, match="built a dict, not an agentbench Task"):
        registry.make_task({"kind": "dict"})
    with pytest.raises(ConfigError, match="not available here"):
        registry.make_task({"kind": "no_such_module_xyz:Task"})
