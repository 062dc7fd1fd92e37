"""A real sweep (local executor, run store, retries) of a task with known outcome probabilities,
then the report: its numbers must bracket the truth of the instances swept."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agentbench.analysis.build import build_report
from agentbench.analysis.write import write_report
from agentbench.store.runstore import RunStore
from agentbench.sweep.runner import run_sweep
from agentbench.sweep.spec import validate_spec
from tests.analysis.sweeptask import pass_probs

N_INST, N_SEEDS = 30, 30
BROKEN = [["k03", 5], ["k03", 6], ["k10", 0]]


def _truth(counts: dict[str, int]) -> dict[str, float]:
    """Expected plug-in values for these instances at their numbers of finished unrolls."""
    b, v, e = [], [], []
    for i, p in enumerate(pass_probs(N_INST)):
        r = counts[f"k{i:02d}"]
        spread = float(np.mean(p * (1 - p)))
        v.append((r - 1) / r * spread)
        e.append(float(np.mean(1 - p)))
        b.append(e[-1] - v[-1])
    return {"bias2": np.mean(b), "variance": np.mean(v), "error": np.mean(e),
            "incoherence": np.sum(v) / np.sum(e)}  # fmt: skip


def test_sweep_then_report(tmp_path: Path) -> None:
    """Sweep 30 instances x 30 seeds; MISSING samples are listed; estimates bracket the truth."""
    spec = validate_spec(
        {
            "name": "known",
            "run_dir": str(tmp_path / "run"),
            "tasks": [{"kind": "tests.analysis.sweeptask:KnownTestsTask", "name": "known",
                       "instances": N_INST, "broken": BROKEN}],
            "systems": [{"name": "s", "model": {"provider": "scripted", "name": "scripted"},
                         "scaffold": "none"}],
            "seeds": N_SEEDS,
            "concurrency": {"samples": 8},
            "retry": {"max_attempts": 2, "backoff_s": 0.0},
        },
        "spec.yaml",
    )  # fmt: skip
    run_sweep(spec)
    run = tmp_path / "run"
    with RunStore.open(run) as store:
        counts = {i.instance_id: i.n_done for i in store.instances()}
    rep = build_report(run, n_boot=400, detail_boot=100, confidence=0.95)
    (s,) = rep.systems
    assert s.n_done == N_INST * N_SEEDS - 3 and s.n_missing == 3
    assert rep.missing_by_reason == {"sandbox_start": 3}
    assert {(m.instance_id, m.seed) for m in rep.missing} == {tuple(x) for x in BROKEN}
    truth = _truth(counts)
    for name, value in truth.items():
        est = getattr(s.overall, name)
        assert est.covers(value), (name, est, value)
    # longer instances (higher index) are grouped last
    assert s.groups[0].cell.mean_length < s.groups[-1].cell.mean_length
    html = write_report(build_report(run, n_boot=50, detail_boot=20))
    assert "sandbox_start" in html.read_text()
