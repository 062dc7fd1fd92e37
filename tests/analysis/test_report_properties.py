"""Property: the report's point estimates equal METHODS.md §2b computed directly, per system,
whatever the mix of instances, seeds, test counts and MISSING samples in the store."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentbench.analysis.build import build_report
from tests.analysis.stores import fill, graded, missing_sample, system

# per instance: number of tests, then per seed either None (MISSING) or a pass vector
instance = st.integers(1, 4).flatmap(
    lambda t: st.lists(
        st.one_of(st.none(), st.lists(st.booleans(), min_size=t, max_size=t)),
        min_size=2,
        max_size=6,
    )
)


def _direct(runs: list[list[list[bool]]]) -> dict[str, float]:
    """Means over instances of the §2b formulas; incoherence as a ratio of sums."""
    b, v, e, acc = [], [], [], []
    for mat in runs:
        y = np.asarray(mat, dtype=float)  # (R, T)
        ybar = y.mean(axis=0)
        e.append(float(np.mean((1 - y) ** 2)))
        b.append(float(np.mean((1 - ybar) ** 2)))
        v.append(float(np.mean((y - ybar) ** 2)))
        acc.append(float(np.mean(y.min(axis=1))))
    total = float(np.sum(e))
    return {"bias2": np.mean(b), "variance": np.mean(v), "error": np.mean(e),
            "accuracy": np.mean(acc),
            "incoherence": float(np.sum(v)) / total if total else float("nan")}  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(instance, min_size=1, max_size=4), min_size=1, max_size=2))
def test_point_estimates_match_methods(per_system: list[list[list[list[bool] | None]]]) -> None:
    """Build a store, report it, and compare every system's estimates with the formulas."""
    systems = [system(f"s{k}", 0.1 * k) for k in range(len(per_system))]
    samples = []
    expected: dict[str, list[list[list[bool]]]] = {}
    for sys_, insts in zip(systems, per_system, strict=True):
        for q, seeds in enumerate(insts):
            for r, passed in enumerate(reversed(seeds)):  # stored out of seed order
                seed = len(seeds) - 1 - r
                if passed is None:
                    samples.append(missing_sample(sys_, f"i{q}", seed, "sandbox: gone"))
                else:
                    samples.append(graded(sys_, f"i{q}", seed, passed, 1 + seed))
            done = [p for p in seeds if p is not None]
            if len(done) >= 2:
                expected.setdefault(sys_.name, []).append(done)
    with tempfile.TemporaryDirectory() as tmp:
        rep = build_report(fill(Path(tmp) / "run", systems, samples), n_boot=10, detail_boot=10)
    got = {s.system: s for s in rep.systems}
    assert set(got) == set(expected)
    n_missing = sum(p is None for insts in per_system for seeds in insts for p in seeds)
    assert rep.n_missing == n_missing
    for name, runs in expected.items():
        cell = got[name].overall
        assert cell.n_questions == len(runs)
        for stat, value in _direct(runs).items():
            est = getattr(cell, stat).estimate
            if np.isnan(value):
                assert np.isnan(est)
            else:
                assert abs(est - value) < 1e-9, (stat, est, value)
