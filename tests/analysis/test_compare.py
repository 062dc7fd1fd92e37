"""compare: paired intervals on shared instances of real run stores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agentbench.analysis.compare import compare_runs
from agentbench.analysis.write import write_comparison
from agentbench.errors import ConfigError, DataError
from tests.analysis.stores import draw_tests, fill, graded, system


def _run(path: Path, name: str, probs: list[np.ndarray], seeds: int, rng, extra: int = 0) -> Path:
    sys_ = system(name, 0.1 * len(name))
    samples = []
    for q, mat in enumerate(draw_tests(probs, seeds, rng)):
        for r in range(seeds):
            samples.append(graded(sys_, f"i{q:03d}", r, mat[r], 4 + r % 5))
    for q in range(extra):  # instances only this run has
        samples += [graded(sys_, f"only-{name}-{q}", r, [True], 3) for r in range(seeds)]
    return fill(path, [sys_], samples)


def test_clearly_better_system(tmp_path: Path) -> None:
    """b passes far more often and more consistently: paired Δ resolved > 0, Δ variance < 0."""
    rng = np.random.default_rng(7)
    n = 60
    weak = [np.full(3, 0.5) for _ in range(n)]  # coin flips: high variance, rarely resolved
    strong = [np.full(3, 0.97) for _ in range(n)]
    ra = _run(tmp_path / "ra", "weak", weak, 30, rng, extra=5)
    rb = _run(tmp_path / "rb", "strong", strong, 30, rng)
    (comp,) = compare_runs([ra, rb], n_boot=300)
    assert comp.n_shared == n and comp.kind == "tests"
    assert [s.system for s in comp.systems] == ["weak", "strong"]
    (pair,) = comp.pairs
    assert pair.baseline == "weak" and pair.system == "strong"
    assert pair.accuracy.low > 0.5 and pair.clear("accuracy")
    assert pair.variance.high < 0 and pair.error.high < 0
    assert any("not shared" in w for w in comp.warnings)  # weak's extra instances left out
    # the point difference is exactly the difference of the two systems' own estimates
    wa, sb = comp.systems[0].cell, comp.systems[1].cell
    assert pair.accuracy.estimate == pytest.approx(sb.accuracy.estimate - wa.accuracy.estimate)
    html = write_comparison([comp], tmp_path / "out").read_text()
    assert html.count('class="clear"') >= 3  # resolved, variance, error... intervals exclude 0
    assert (tmp_path / "out" / "compare_tests.png").read_bytes().startswith(b"\x89PNG")


def test_same_system_twice_is_not_different(tmp_path: Path) -> None:
    """Two runs of the same distribution: every difference interval covers 0."""
    rng = np.random.default_rng(11)
    probs = [rng.uniform(0.2, 1.0, size=4) for _ in range(50)]
    ra = _run(tmp_path / "r1", "x", probs, 30, rng)
    rb = _run(tmp_path / "r2", "x", probs, 30, rng)
    (comp,) = compare_runs([ra, rb], n_boot=300, baseline="r2:x")
    assert [s.system for s in comp.systems] == ["r2:x", "r1:x"]  # same name: run prefix
    (pair,) = comp.pairs
    for k in ("accuracy", "bias2", "variance", "incoherence"):
        assert getattr(pair, k).covers(0.0), (k, getattr(pair, k))


def test_compare_bad_input(tmp_path: Path) -> None:
    """Unknown system, disjoint instances, or a single system: one-line user errors."""
    rng = np.random.default_rng(0)
    ra = _run(tmp_path / "ra", "a", [np.full(2, 0.5)] * 3, 4, rng)
    with pytest.raises(ConfigError, match="--system"):
        compare_runs([ra], systems=["nope"], n_boot=20)
    with pytest.raises(DataError, match="fewer than two systems"):
        compare_runs([ra], n_boot=20)
    other = system("b")
    rb = fill(tmp_path / "rb", [other], [graded(other, "zzz", r, [True], 2) for r in range(4)])
    with pytest.raises(DataError, match="share no instance"):
        compare_runs([ra, rb], n_boot=20)


def test_runs_with_different_task_sets_line_up(tmp_path: Path) -> None:
    """Run b also holds a second task: the shared task's instances still pair up."""
    rng = np.random.default_rng(3)
    ra = _run(tmp_path / "ra", "a", [np.full(2, 0.5)] * 6, 6, rng)
    b = system("b")
    samples = [graded(b, f"i{q:03d}", r, [True, r % 2 == 0], 3) for q in range(6) for r in range(6)]
    samples += [graded(b, "x", r, [True], 3, task="other") for r in range(6)]
    rb = fill(tmp_path / "rb", [b], samples)
    (comp,) = compare_runs([ra, rb], n_boot=50)
    assert comp.n_shared == 6
