"""A pilot on the bundled procedural suite with the scripted model server (real HTTP, real
runner and store): the plan it makes for the full sweep predicts the tokens the full sweep then
uses within 20% (time is printed, never asserted); --max-cost stops a sweep with samples
recorded not_run, and a later run resumes them."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import yaml

from agentbench.config import ModelConfig, SystemConfig
from agentbench.planning.build import build_plan
from agentbench.planning.pilot import run_pilot
from agentbench.records import SampleStatus
from agentbench.servers.scripted import ScriptedServer
from agentbench.store.runstore import RunStore
from agentbench.sweep.runner import run_sweep
from agentbench.sweep.spec import Concurrency, SweepSpec
from agentbench.tasks.mc import MCTask
from agentbench.tasks.mc.scripted import KnownDistributionResponder
from tests.cli_run import run_cli

TASK: dict[str, Any] = {
    "kind": "mc", "name": "arith", "dataset": {"source": "procedural", "n": 10, "difficulty": [1, 2, 3]},
    "contexts": 4, "shots": 1, "shuffle": True,
}  # fmt: skip


def responder(task: MCTask) -> KnownDistributionResponder:
    """Uniform answers; reasoning length differs per question (20 to 400 tokens)."""
    rng = random.Random(7)
    dist = {q.id: [1.0 / q.n_options] * q.n_options for q in task.questions}
    length = {q.id: rng.randrange(20, 400) for q in task.questions}
    return KnownDistributionResponder(task, dist, length=length)


def sweep_spec(run_dir: Path, base_url: str, seeds: int = 6) -> SweepSpec:
    systems = [
        SystemConfig(
            name=f"s{t}",
            model=ModelConfig(provider="scripted", name="scripted-mc", base_url=base_url, temperature=t),
            scaffold="mc",
        )
        for t in (0.7, 1.0)
    ]  # fmt: skip
    return SweepSpec(
        name="pilot-test", run_dir=str(run_dir), tasks=[TASK], systems=systems, seeds=seeds,
        concurrency=Concurrency(samples=4),
    )  # fmt: skip


def used(run_dir: Path, system: str) -> tuple[int, int]:
    with RunStore.open(run_dir) as store:
        rows = list(store.iter_results(system=system, status=SampleStatus.DONE))
    return sum(r.usage.input_tokens for r in rows), sum(r.usage.output_tokens for r in rows)


def test_pilot_predicts_the_full_sweep(tmp_path: Path) -> None:
    task = MCTask.from_spec(TASK)
    with ScriptedServer(responder(task)) as srv:
        spec = sweep_spec(tmp_path / "full", srv.base_url)
        pdir, ps = run_pilot(spec, 6, run_dir=tmp_path / "pilot")
        assert ps.done == 12 and ps.missing == 0  # 6 per system, spread over the 30 questions
        plan = build_plan(spec, from_run=pdir)
        t0 = time.monotonic()
        full = run_sweep(spec)
        wall = time.monotonic() - t0
    assert full.done == 2 * 30 * 6
    for s in plan.systems:
        assert s.samples == 180 and s.basis.startswith("measured: run")
        tin, tout = used(tmp_path / "full", s.name)
        pin, pout = s.total(s.input_tokens), s.total(s.output_tokens)
        assert pin is not None and pout is not None
        print(f"{s.name}: predicted in {pin:.0f} out {pout:.0f}; used in {tin} out {tout}; "
              f"total {pin + pout:.0f} vs {tin + tout} ({(pin + pout) / (tin + tout) - 1:+.1%})")  # fmt: skip
        assert abs((pin + pout) - (tin + tout)) <= 0.2 * (tin + tout)
        assert abs(pout - tout) <= 0.2 * tout
    print(f"wall: predicted {plan.wall_s:.2f} s ({plan.wall_basis}); full sweep took {wall:.2f} s")


def test_max_cost_stops_with_not_run_samples_that_resume(tmp_path: Path) -> None:
    task = MCTask.from_spec(TASK)
    root = Path(__file__).resolve().parents[2]
    with ScriptedServer(responder(task)) as srv:
        doc = sweep_spec(tmp_path / "run", srv.base_url, seeds=2).model_dump(mode="json")
        for s in doc["systems"]:  # 50 input tokens at $1000/Mtok: $0.05 per sample
            s["model"].update(price_input_per_mtok=1000.0, price_output_per_mtok=0.0)
        doc["concurrency"] = {"samples": 1}
        path = tmp_path / "spec.yaml"
        path.write_text(yaml.safe_dump(doc))
        r = run_cli(
            "run", str(path), "--max-cost", "0.5", "--no-progress", cwd=root, env={"COLUMNS": "250"}
        )
        assert r.returncode == 0, r.stderr
        assert "plan: pilot-test" in r.stdout and "cost limit reached" in r.stdout
        with RunStore.open(tmp_path / "run") as store:
            st = store.stats()
            assert st.by_status.get("done") == 10  # $0.05 each: the 10th reaches $0.50
            assert st.by_status.get("not_run") == 120 - 10
            assert abs(st.cost_usd - 0.5) < 1e-9
            # a not-run sample was never attempted: not missing, not failed
            nr = next(iter(store.iter_results(status=SampleStatus.NOT_RUN)))
            assert nr.outcome is None and nr.attempts == 0 and nr.status == "not_run"
        r = run_cli("run", str(path), "--no-progress", cwd=root, env={"COLUMNS": "250"})
        assert r.returncode == 0, r.stderr
        assert "measured: run" in r.stdout  # the plan at the top now uses this folder's samples
    with RunStore.open(tmp_path / "run") as store:
        st = store.stats()
    assert st.by_status == {"done": 120}


def test_plan_pilot_on_the_cli_runs_beside_the_run_folder_and_plans_from_it(
    tmp_path: Path,
) -> None:
    task = MCTask.from_spec(TASK)
    root = Path(__file__).resolve().parents[2]
    with ScriptedServer(responder(task)) as srv:
        doc = sweep_spec(tmp_path / "run", srv.base_url).model_dump(mode="json")
        path = tmp_path / "spec.yaml"
        path.write_text(yaml.safe_dump(doc))
        r = run_cli("plan", str(path), "--pilot", "4", cwd=root, env={"COLUMNS": "250"})
        calls = len(srv.calls)
    assert r.returncode == 0, r.stderr
    assert "pilot: 8 samples done, 0 missing, in " in r.stdout  # 4 per system
    assert calls == 8  # the pilot's samples and nothing else reached the model
    assert r.stdout.count("measured: run") == 2  # both systems planned from the pilot
    assert not (tmp_path / "run").exists()  # the sweep itself did not start
    with RunStore.open(tmp_path / "run.pilot") as store:
        assert store.stats().by_status == {"done": 8}
    bad = run_cli("plan", str(path), "--pilot", "0", cwd=root)
    assert bad.returncode == 2 and "--pilot" in bad.stderr and "Traceback" not in bad.stderr
