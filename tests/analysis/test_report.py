"""build_report / write_report on real run stores whose outcome probabilities are known."""

from __future__ import annotations

import base64
import json
import re
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from agentbench.analysis.build import build_report
from agentbench.analysis.types import Report
from agentbench.analysis.write import write_report
from agentbench.errors import ConfigError, DataError
from agentbench.metrics import simulate_tests
from agentbench.store.runstore import RunStore
from tests.analysis.stores import (
    choice_sample,
    draw_tests,
    fill,
    graded,
    missing_sample,
    system,
)


def test_known_truth_within_intervals(tmp_path: Path) -> None:
    """Per-test pass probabilities drawn from a known mixture: the report brackets the truth."""
    sim = simulate_tests(300, 30, seed=3, max_tests=8)
    rows = sim.tests.rows()
    rng = np.random.default_rng(1)
    a = system("a")
    samples = [
        graded(a, f"i{q:03d}", r, rows[q, r, : sim.tests.n_tests[q]], rng.integers(1, 40))
        for q in range(rows.shape[0])
        for r in range(rows.shape[1])
    ]
    rep = build_report(
        fill(tmp_path / "run", [a], samples), n_boot=400, detail_boot=10, confidence=0.95
    )
    (s,) = rep.systems
    truth = sim.truth
    assert s.overall.n_questions == 300 and s.overall.min_unrolls == 30
    for name in ("bias2", "variance", "error", "incoherence", "accuracy"):
        est = getattr(s.overall, name)
        assert est.covers(getattr(truth, name)), (name, est, getattr(truth, name))
        assert est.high - est.low < 0.1  # informative, not a trivially wide interval
    assert not any("fewer than 30" in w for w in rep.warnings)


def test_coherent_and_random_systems(tmp_path: Path) -> None:
    """p in {0, 1}: all error is bias (incoherence 0); p = 1/2: bias² = variance exactly."""
    rng = np.random.default_rng(0)
    det, noisy = system("deterministic", 0.0), system("coin", 1.0)
    probs_det = [np.array([1.0, 0.0, 1.0]) if q % 2 else np.array([0.0, 1.0]) for q in range(40)]
    probs_coin = [np.full(4, 0.5) for _ in range(40)]
    data = []
    for sys_, probs in ((det, probs_det), (noisy, probs_coin)):
        for q, mat in enumerate(draw_tests(probs, 30, rng)):
            for r in range(30):
                data.append(graded(sys_, f"i{q}", r, mat[r], 5 + r % 7))
    rep = build_report(fill(tmp_path / "run", [det, noisy], data), n_boot=200)
    by = {s.system: s for s in rep.systems}
    d = by["deterministic"].overall
    # float32 features: exact zeros come back as ~1e-16
    assert d.variance.estimate == pytest.approx(0.0, abs=1e-12)
    assert d.incoherence.estimate == pytest.approx(0.0, abs=1e-12)
    assert d.incoherence.high == pytest.approx(0.0, abs=1e-12)
    assert d.accuracy.estimate == 0.0  # every instance has a test that never passes
    c = by["coin"].overall
    assert c.incoherence.low < 0.5 < c.incoherence.high or abs(c.incoherence.estimate - 0.5) < 0.05
    assert c.error.covers(0.5)


def _grouped_store(tmp_path: Path) -> tuple[Path, list[str]]:
    """Short instances (few actions) are deterministic; long ones are coin flips."""
    rng = np.random.default_rng(5)
    a, b = system("a", 0.2), system("b", 0.8)
    data = []
    for sys_, shift in ((a, 0.0), (b, 3.0)):
        for q in range(50):
            p = np.full(3, 0.5) if q >= 25 else np.array([1.0, 1.0, 0.0])
            mat = draw_tests([p], 30, rng)[0]
            for r in range(30):
                length = 10 + q + shift * (q % 3) + (r % 5)
                data.append(graded(sys_, f"i{q:02d}", r, mat[r], length))
    return fill(tmp_path / "run", [a, b], data), [f"i{q:02d}" for q in range(50)]


def test_incoherence_rises_with_length_groups(tmp_path: Path) -> None:
    """Equal-size groups by mean actions; group 0 holds only deterministic instances."""
    run, _ = _grouped_store(tmp_path)
    rep = build_report(run, n_boot=200, groups=5)
    for s in rep.systems:
        assert [g.group for g in s.groups] == [0, 1, 2, 3, 4]
        assert [g.cell.n_questions for g in s.groups] == [10] * 5
        assert s.groups[0].cell.incoherence.estimate == pytest.approx(0.0, abs=1e-12)
        assert s.groups[-1].cell.incoherence.estimate > 0.3
        means = [g.cell.mean_length for g in s.groups]
        assert means == sorted(means)
        assert s.short_half is not None and s.long_half is not None
        assert s.short_half.mean_length < s.long_half.mean_length
        assert s.short_half.n_unrolls == s.long_half.n_unrolls == 50 * 15


def test_reference_grouping_is_reused(tmp_path: Path) -> None:
    """With a reference system, every system is grouped by the reference's instance groups."""
    run, _ = _grouped_store(tmp_path)
    own = build_report(run, n_boot=20, detail_boot=20, groups=5)
    ref = build_report(run, n_boot=20, detail_boot=20, groups=5, reference_system="a")
    assert ref.reference_system == "a"
    by_own = {s.system: s for s in own.systems}
    by_ref = {s.system: s for s in ref.systems}
    # a is its own reference; b's own grouping differs (its lengths are shifted per instance)
    assert [g.min_length for g in by_ref["a"].groups] == [g.min_length for g in by_own["a"].groups]
    assert [g.min_length for g in by_ref["b"].groups] != [g.min_length for g in by_own["b"].groups]
    with pytest.raises(ConfigError, match="reference system 'zzz'"):
        build_report(run, n_boot=50, reference_system="zzz")


def test_missing_few_seeds_and_dropped(tmp_path: Path) -> None:
    """MISSING samples are counted with reasons; < 30 seeds warns; a lone unroll is left out."""
    a = system("a")
    samples = [graded(a, f"i{q}", r, [r % 2 == 0, True], 3) for q in range(4) for r in range(5)]
    samples.append(graded(a, "lonely", 0, [True], 3))
    samples += [missing_sample(a, "i0", 10 + k, "sandbox: engine gone") for k in range(3)]
    samples.append(missing_sample(a, "i1", 20, "model_api: 503 after 6 retries"))
    rep = build_report(fill(tmp_path / "run", [a], samples), n_boot=50)
    (s,) = rep.systems
    assert s.n_missing == 4 and rep.n_missing == 4 and s.n_done == 21
    assert rep.missing_by_reason == {"sandbox": 3, "model_api": 1}
    assert {m.reason for m in rep.missing} == {
        "sandbox: engine gone",
        "model_api: 503 after 6 retries",
    }
    assert s.n_instances_few_seeds == 4
    assert any("fewer than 30 finished unrolls" in w for w in rep.warnings)
    assert "lonely" in s.dropped and s.overall.n_questions == 4


def test_choice_outcomes(tmp_path: Path) -> None:
    """Multiple-choice samples are decomposed with the KL loss; accuracy is the hit rate."""
    a = system("mc")
    samples = [
        choice_sample(a, f"q{q}", r, 0 if q < 5 else r % 4, 0) for q in range(10) for r in range(8)
    ]
    rep = build_report(fill(tmp_path / "run", [a], samples), n_boot=50)
    (s,) = rep.systems
    assert s.kind == "choice"
    assert s.overall.accuracy.estimate == pytest.approx((5 * 1.0 + 5 * 0.25) / 10)
    assert s.overall.bias2.estimate > 0 and s.overall.variance.estimate > 0


def test_write_report_is_self_contained(tmp_path: Path) -> None:
    """One HTML file with embedded PNGs and tables, report.json round-trips, PNG files beside."""
    run, _ = _grouped_store(tmp_path)
    html_path = write_report(build_report(run, n_boot=50))
    assert html_path == run / "report" / "report.html"
    html = html_path.read_text()
    assert "<script" not in html and not re.search(r'src="(?!data:)', html)
    imgs = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(imgs) == 3
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in imgs)
    assert "incoherence" in html and ">a<" in html and ">b<" in html
    assert "scripted:fixture · T=0.2 · scaffold bash-react" in html  # what system a is
    rep = Report.model_validate(json.loads((run / "report" / "report.json").read_text()))
    assert [s.system for s in rep.systems] == ["a", "b"]
    for name in ("decomposition", "incoherence_by_length", "short_long_halves"):
        assert (run / "report" / f"{name}.png").read_bytes().startswith(b"\x89PNG")
    other = write_report(build_report(run, n_boot=20), tmp_path / "elsewhere")
    assert other == tmp_path / "elsewhere" / "report.html" and other.is_file()


def test_not_a_run_store(tmp_path: Path) -> None:
    """A folder without a store is a one-line DataError naming the folder."""
    with pytest.raises(DataError, match="no run store") as exc:
        build_report(tmp_path)
    assert str(tmp_path) in str(exc.value) and "\n" not in str(exc.value)
    (tmp_path / "store.sqlite").write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(DataError, match="not a readable"):
        build_report(tmp_path)


def test_perfect_system_and_empty_store(tmp_path: Path) -> None:
    """No error at all: incoherence is NaN (never 0 or 1), survives report.json, reads n/a."""
    a = system("perfect")
    samples = [graded(a, f"i{q}", r, [True, True], 2 + r) for q in range(3) for r in range(4)]
    run = fill(tmp_path / "run", [a], samples)
    html = write_report(build_report(run, n_boot=20, detail_boot=20))
    rep = Report.model_validate_json((run / "report" / "report.json").read_text())
    inc = rep.systems[0].overall.incoherence
    assert np.isnan(inc.estimate) and rep.systems[0].overall.accuracy.estimate == 1.0
    assert any("incoherence is undefined" in w for w in rep.warnings)
    assert "n/a" in html.read_text()
    empty = tmp_path / "empty"
    RunStore.create(empty).close()
    rep = build_report(empty)
    assert rep.systems == [] and rep.n_samples == 0
    assert any("no samples" in w for w in rep.warnings)
    assert write_report(rep).is_file()


def test_corrupt_outcome_is_a_data_error(tmp_path: Path) -> None:
    """A sample row whose outcome JSON is damaged: one-line DataError naming the store file."""
    a = system("a")
    run = fill(tmp_path / "run", [a], [graded(a, "i0", r, [True], 1) for r in range(3)])
    conn = sqlite3.connect(run / "store.sqlite")
    with conn:
        conn.execute("UPDATE samples SET outcome = '{\"passed\": [tru' WHERE seed = 1")
    conn.close()
    with pytest.raises(DataError) as exc:
        build_report(run)
    assert "store.sqlite" in str(exc.value) and "\n" not in str(exc.value)


def test_reference_grouping_bins_unknown_instances_by_edges(tmp_path: Path) -> None:
    """An instance the reference never ran is binned by the reference's length edges."""
    a, b = system("a", 0.2), system("b", 0.8)
    data = []
    for sys_ in (a, b):
        for q in range(6):
            data += [graded(sys_, f"i{q}", r, [r % 2 == 0], 10 * q + r % 3) for r in range(4)]
    data += [graded(b, "late", r, [r % 3 == 0], 1000) for r in range(4)]  # only b has it
    rep = build_report(fill(tmp_path / "run", [a, b], data), n_boot=20, detail_boot=20,
                       groups=3, reference_system="a")  # fmt: skip
    by = {s.system: s for s in rep.systems}
    assert [g.cell.n_questions for g in by["a"].groups] == [2, 2, 2]
    assert [g.cell.n_questions for g in by["b"].groups] == [2, 2, 3]  # "late" joins the last
    assert by["b"].groups[-1].max_length > 900
