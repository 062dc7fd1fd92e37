"""Hypothesis properties: the identity, bounds, order invariance, vectorised = loop, 1/E."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from agentbench.metrics import (
    RaggedTests,
    decompose_brier,
    decompose_kl,
    decompose_tests,
    ensemble_curve,
    incoherence,
    resolved_rate,
)

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def categorical(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Random stated distributions (some one-hot) for a few questions."""
    seed = draw(st.integers(0, 2**32 - 1))
    q, r, c = draw(st.integers(1, 6)), draw(st.integers(2, 12)), draw(st.integers(2, 6))
    conc = draw(st.sampled_from([0.05, 0.5, 1.0, 20.0]))
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(c, conc), size=(q, r))
    if draw(st.booleans()):  # letter answers: one-hot
        probs = np.eye(c)[probs.argmax(axis=-1)]
    return probs, rng.integers(0, c, size=q)


@st.composite
def ragged_tests(draw: st.DrawFn) -> list[np.ndarray]:
    """A few instances with their own unroll and test counts."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    q = draw(st.integers(1, 8))
    out = []
    for _ in range(q):
        r, t = int(rng.integers(2, 9)), int(rng.integers(1, 7))
        out.append((rng.random((r, t)) < rng.random(t)).astype(np.uint8))
    return out


def reference_tests(arrays: list[np.ndarray]) -> np.ndarray:
    """The METHODS.md §2b formulas, one instance at a time."""
    rows = []
    for y in arrays:
        yf = y.astype(float)
        y_bar = yf.mean(axis=0)
        rows.append([((1 - y_bar) ** 2).mean(), ((yf - y_bar) ** 2).mean(), ((1 - yf) ** 2).mean()])
    return np.array(rows)


@SETTINGS
@given(categorical())
def test_identity_and_bounds_categorical(data: tuple[np.ndarray, np.ndarray]) -> None:
    probs, target = data
    for d in (decompose_kl(probs, target), decompose_brier(probs, target)):
        np.testing.assert_allclose(d.bias2 + d.variance, d.error, rtol=1e-9, atol=1e-12)
        assert np.all(d.variance >= -1e-12) and np.all(d.bias2 >= -1e-12)
        if d.error.sum() > 0:
            assert -1e-12 <= incoherence(d.variance, d.error) <= 1 + 1e-12


@SETTINGS
@given(ragged_tests())
def test_tests_match_loop_and_bounds(arrays: list[np.ndarray]) -> None:
    d = decompose_tests(arrays)
    got = np.stack([d.bias2, d.variance, d.error], axis=1)
    np.testing.assert_allclose(got, reference_tests(arrays), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(d.bias2 + d.variance, d.error, rtol=1e-9, atol=1e-15)
    if d.error.sum() > 0:
        assert 0.0 <= d.incoherence() <= 1.0 + 1e-12
    flat = np.concatenate([a.ravel() for a in arrays])
    from_flat = decompose_tests(
        RaggedTests.from_flat(flat, [a.shape[0] for a in arrays], [a.shape[1] for a in arrays])
    )
    np.testing.assert_array_equal(from_flat.error, d.error)
    rows = RaggedTests.from_arrays(arrays).rows()  # zero-padded (Q, max R, max T)
    for i, a in enumerate(arrays):
        np.testing.assert_array_equal(rows[i, : a.shape[0], : a.shape[1]], a)
        assert rows[i].sum() == a.sum()
    np.testing.assert_allclose(
        resolved_rate(arrays), [a.min(axis=1).mean() for a in arrays], rtol=1e-12
    )


def test_tests_with_many_unrolls_count_past_a_byte() -> None:
    # Pass counts are summed in uint8 while every R < 256; 300 passing unrolls beside a
    # 3-unroll instance must not wrap around (300 mod 256 = 44).
    rng = np.random.default_rng(7)
    arrays = [
        np.ones((300, 5), dtype=np.uint8),
        (rng.random((300, 4)) < 0.5).astype(np.uint8),
        np.array([[1, 0], [1, 1], [0, 1]], dtype=np.uint8),
    ]
    d = decompose_tests(arrays)
    got = np.stack([d.bias2, d.variance, d.error], axis=1)
    np.testing.assert_allclose(got, reference_tests(arrays), rtol=1e-12, atol=1e-15)
    assert d.error[0] == 0.0 and d.variance[0] == 0.0


@SETTINGS
@given(categorical(), st.integers(0, 2**32 - 1))
def test_order_of_unrolls_and_questions_does_not_matter(
    data: tuple[np.ndarray, np.ndarray], seed: int
) -> None:
    probs, target = data
    rng = np.random.default_rng(seed)
    q, r, _ = probs.shape
    unroll_perm = rng.random((q, r)).argsort(axis=1)
    q_perm = rng.permutation(q)
    shuffled = np.take_along_axis(probs, unroll_perm[..., None], axis=1)[q_perm]
    for fn in (decompose_kl, decompose_brier):
        a, b = fn(probs, target), fn(shuffled, target[q_perm])
        np.testing.assert_allclose(b.variance, a.variance[q_perm], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(b.bias2, a.bias2[q_perm], rtol=1e-9, atol=1e-12)
        if a.error.sum() > 0:
            assert np.isclose(b.incoherence(), a.incoherence(), rtol=1e-9, atol=1e-12)


@SETTINGS
@given(ragged_tests(), st.integers(0, 2**32 - 1))
def test_tests_order_invariance(arrays: list[np.ndarray], seed: int) -> None:
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(arrays))
    shuffled = [arrays[i][rng.permutation(arrays[i].shape[0])] for i in perm]
    a, b = decompose_tests(arrays), decompose_tests(shuffled)
    np.testing.assert_allclose(b.variance, a.variance[perm], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(b.error, a.error[perm], rtol=1e-12, atol=1e-15)


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([0.5, 2.0, 10.0]))
def test_ensembling_variance_falls_as_one_over_e(seed: int, conc: float) -> None:
    # Each unroll states a distribution drawn around a per-question mean π; an ensemble
    # of E averages E of them, so the Brier variance falls as 1/E with bias² fixed
    # (up to the (n−1)/n factor of the plug-in estimate over n ensembles).
    rng = np.random.default_rng(seed)
    q, r, c = 40, 960, 4
    pi = rng.dirichlet(np.ones(c), size=q)
    probs = np.stack([rng.dirichlet(conc * c * pi[i], size=r) for i in range(q)])
    target = rng.integers(0, c, size=q)
    curve = ensemble_curve(probs, target, sizes=(1, 2, 4, 8), loss="brier", seed=seed)
    base = curve[0]
    base_var = base.variance * base.n_ensembles / (base.n_ensembles - 1)
    for pt in curve[1:]:
        var = pt.variance * pt.n_ensembles / (pt.n_ensembles - 1)
        assert abs(var * pt.size / base_var - 1.0) < 0.15
        assert abs(pt.bias2 - base.bias2) < 0.05 * base.bias2 + 0.01 * base.variance
