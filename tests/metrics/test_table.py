"""The tidy entry point: long table in, one row per (system, group, half) out."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from agentbench.metrics import (
    FewUnrollsWarning,
    build_models,
    decompose_brier,
    decompose_kl,
    decompose_table,
    decompose_tests,
    decompose_vector,
    paired_bootstrap,
    question_ids_aligned,
    simulate_tests,
)


def long_tests_table(n_questions: int, n_unrolls: int, seed: int, system: str) -> pd.DataFrame:
    """Simulated test vectors as one row per unroll; length grows with the test count."""
    sim = simulate_tests(n_questions, n_unrolls, seed=seed)
    rt = sim.tests
    rows = []
    for q in range(rt.n_instances):
        r, t, o = int(rt.n_runs[q]), int(rt.n_tests[q]), int(rt.offsets[q])
        block = rt.values[o : o + r * t].reshape(r, t)
        for i in range(r):
            rows.append(
                {
                    "instance": f"i{q:03d}",
                    "system": system,
                    "seed": i,
                    "length": float(10 * t + i),
                    "outcome": block[i].tolist(),
                }
            )
    return pd.DataFrame(rows)


def test_tests_table_matches_direct_decomposition_and_returns_dataframe() -> None:
    df = long_tests_table(30, 30, seed=0, system="A")
    out = decompose_table(df, kind="tests", columns={"question": "instance"}, n_boot=100)
    assert isinstance(out, pd.DataFrame) and len(out) == 1
    row = out.iloc[0]
    d = decompose_tests(simulate_tests(30, 30, seed=0).tests)
    assert row["variance"] == pytest.approx(d.variance.mean(), rel=1e-9)
    assert row["bias2"] == pytest.approx(d.bias2.mean(), rel=1e-9)
    assert row["incoherence"] == pytest.approx(d.incoherence(), rel=1e-9)
    assert row["n_questions"] == 30 and row["n_unrolls"] == 900 and row["min_unrolls"] == 30
    assert row["incoherence_low"] <= row["incoherence"] <= row["incoherence_high"]


def test_groups_halves_reference_and_shuffled_rows() -> None:
    df = pd.concat([long_tests_table(25, 30, 1, "A"), long_tests_table(25, 30, 2, "B")])
    kwargs = {"kind": "tests", "columns": {"question": "instance"}, "n_boot": 50}
    out = decompose_table(df, groups=5, reference_system="A", median_halves=True, **kwargs)
    assert len(out) == 2 * 6 * 3  # systems x (all + 5 groups) x (all, short, long)
    a_groups = out[(out.system == "A") & (out.group != "all") & (out.half == "all")]
    assert list(a_groups.n_questions) == [5] * 5
    assert list(a_groups.mean_length) == sorted(a_groups.mean_length)
    halves = out[(out.group == "all") & (out.half != "all")]
    assert set(halves.min_unrolls) == {15}
    short = halves[halves.half == "short"].mean_length.to_numpy()
    long = halves[halves.half == "long"].mean_length.to_numpy()
    assert np.all(short < long)
    # Row order does not matter: unrolls are ordered by seed, questions by id.
    shuffled = df.sample(frac=1.0, random_state=0)
    again = decompose_table(shuffled, groups=5, reference_system="A", median_halves=True, **kwargs)
    pd.testing.assert_frame_equal(out.reset_index(drop=True), again.reset_index(drop=True))


def test_probs_table_with_dict_input_and_few_unrolls_warning() -> None:
    rng = np.random.default_rng(3)
    q, r, c = 6, 5, 4
    probs = rng.dirichlet(np.ones(c), size=(q, r))
    target = rng.integers(0, c, size=q)
    table: dict[str, list[object]] = {
        k: [] for k in ("question", "system", "seed", "length", "outcome", "target")
    }
    for i in range(q):
        for j in range(r):
            for key, val in (
                ("question", i),
                ("system", "m"),
                ("seed", j),
                ("length", 7),
                ("outcome", probs[i, j].tolist()),
                ("target", int(target[i])),
            ):
                table[key].append(val)
    with pytest.warns(FewUnrollsWarning):
        kl_rows = decompose_table(table, kind="probs", loss="kl", n_boot=50)
    assert isinstance(kl_rows, list) and kl_rows[0]["group"] == "all"
    assert kl_rows[0]["error"] == pytest.approx(decompose_kl(probs, target).error.mean())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewUnrollsWarning)
        brier = decompose_table(table, kind="probs", loss="brier", n_boot=50)[0]
    want = decompose_brier(probs, target)
    assert brier["variance"] == pytest.approx(want.variance.mean(), rel=1e-9)
    assert brier["incoherence"] == pytest.approx(want.incoherence(), rel=1e-9)
    acc = (probs.argmax(-1) == target[:, None]).mean()
    assert brier["accuracy"] == pytest.approx(acc)


def test_vector_table_in_metric_a() -> None:
    rng = np.random.default_rng(4)
    a = np.array([[3.0, 1.0], [1.0, 2.0]])
    steps, n = 3, 40
    x = rng.normal(size=(steps, n, 2)) * np.array([1.0, 2.0, 3.0])[:, None, None]
    b = np.array([0.5, -0.5])
    table = {"question": [], "system": [], "seed": [], "length": [], "outcome": [], "target": []}
    for s in range(steps):
        for i in range(n):
            for key, val in (
                ("question", s),
                ("system", "opt"),
                ("seed", i),
                ("length", s),
                ("outcome", x[s, i].tolist()),
                ("target", b.tolist()),
            ):
                table[key].append(val)
    rows = decompose_table(table, kind="vector", metric=a, groups=3, n_boot=50)
    want = decompose_vector(x, b, a)
    per_step = [r for r in rows if r["group"] != "all"]
    np.testing.assert_allclose([r["variance"] for r in per_step], want.variance, rtol=1e-9)
    np.testing.assert_allclose([r["bias2"] for r in per_step], want.bias2, rtol=1e-9, atol=1e-12)
    assert np.isnan(rows[0]["accuracy"])


def test_paired_comparison_from_table() -> None:
    df = pd.concat([long_tests_table(20, 30, 5, "A"), long_tests_table(20, 30, 6, "B")])
    a, b = build_models(df, kind="tests", columns={"question": "instance"})
    ma, mb = question_ids_aligned(a, b)
    res = paired_bootstrap(ma, mb, n_boot=100)
    iv = res.intervals["incoherence"]
    assert iv.low <= iv.estimate <= iv.high


def test_missing_unrolls_are_masked_not_imputed() -> None:
    # Question 1 lost two unrolls (infrastructure failures): the table result must equal
    # the decomposition of the unrolls that exist.
    rng = np.random.default_rng(8)
    probs = rng.dirichlet(np.ones(3), size=(3, 6))
    target = np.array([0, 1, 2])
    keep = np.ones((3, 6), dtype=bool)
    keep[1, [2, 5]] = False
    table = {"question": [], "system": [], "seed": [], "length": [], "outcome": [], "target": []}
    for i in range(3):
        for j in range(6):
            if keep[i, j]:
                for key, val in (
                    ("question", i),
                    ("system", "s"),
                    ("seed", j),
                    ("length", 1),
                    ("outcome", probs[i, j].tolist()),
                    ("target", int(target[i])),
                ):
                    table[key].append(val)
    with pytest.warns(FewUnrollsWarning):
        row = decompose_table(table, kind="probs", loss="brier", n_boot=50)[0]
    per_q = [decompose_brier(probs[i : i + 1, keep[i]], target[i : i + 1]) for i in range(3)]
    assert row["variance"] == pytest.approx(np.mean([d.variance[0] for d in per_q]), rel=1e-9)
    assert row["n_unrolls"] == 16 and row["min_unrolls"] == 4
    masked = decompose_kl(probs, target, keep)
    dropped = decompose_kl(probs[1:2, keep[1]], target[1:2])
    assert masked.error[1] == pytest.approx(dropped.error[0], rel=1e-12)
    assert masked.variance[1] == pytest.approx(dropped.variance[0], rel=1e-9)
