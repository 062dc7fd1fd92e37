"""Decompositions against values worked out by hand."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from agentbench.metrics import (
    DELTA,
    UndefinedIncoherenceWarning,
    decompose_brier,
    decompose_kl,
    decompose_tests,
    decompose_vector,
    decompose_zero_one,
    embedding_variance,
    incoherence,
    pass_at_k,
    pass_hat_k,
)


def onehot(idx: list[int], c: int = 4) -> np.ndarray:
    return np.eye(c)[idx]


def test_identical_wrong_answers_are_pure_bias() -> None:
    probs = np.stack([onehot([1] * 10), onehot([2] * 10)])  # two questions, always wrong
    target = np.array([0, 0])
    brier = decompose_brier(probs, target)
    np.testing.assert_allclose(brier.bias2, [2.0, 2.0])
    np.testing.assert_allclose(brier.variance, [0.0, 0.0], atol=1e-15)
    assert brier.incoherence() == pytest.approx(0.0, abs=1e-15)
    kl = decompose_kl(probs, target)
    wrong = -math.log(DELTA / (1 + 4 * DELTA))
    np.testing.assert_allclose(kl.error, [wrong, wrong], rtol=1e-12)
    np.testing.assert_allclose(kl.bias2, [wrong, wrong], rtol=1e-12)
    assert abs(kl.incoherence()) < 1e-14
    tests = decompose_tests([np.zeros((10, 3), int), np.tile([1, 0, 1], (10, 1))])
    np.testing.assert_allclose(tests.variance, [0.0, 0.0])
    np.testing.assert_allclose(tests.error, [1.0, 1 / 3])
    assert tests.incoherence() == 0.0


def test_half_right_half_wrong_brier_kl_zero_one() -> None:
    probs = onehot([0, 1] * 5)[None]  # right on option 0 half the time, else option 1
    target = np.array([0])
    brier = decompose_brier(probs, target)
    assert (brier.bias2[0], brier.variance[0], brier.error[0]) == pytest.approx((0.5, 0.5, 1.0))
    assert brier.incoherence() == pytest.approx(0.5)

    d = DELTA
    log_norm = math.log1p(4 * d)
    error = -0.5 * math.log(d * (1 + d)) + log_norm
    variance = -math.log(2 * math.sqrt(d * (1 + d)) + 2 * d) + log_norm
    bias2 = math.log(2 + 2 * math.sqrt(d / (1 + d)))  # ≈ log 2
    kl = decompose_kl(probs, target)
    assert kl.error[0] == pytest.approx(error, rel=1e-12)
    assert kl.variance[0] == pytest.approx(variance, rel=1e-12)
    assert kl.bias2[0] == pytest.approx(bias2, rel=1e-9)
    assert kl.bias2[0] == pytest.approx(math.log(2), rel=1e-5)

    zo = decompose_zero_one(probs, target)  # tie in the mean: lowest option (the target)
    assert (zo.bias[0], zo.variance[0]) == (0.0, 0.5)

    tests = decompose_tests([np.array([[1], [0]] * 5)])
    assert (tests.bias2[0], tests.variance[0], tests.error[0]) == pytest.approx((0.25, 0.25, 0.5))


def test_stated_probabilities_brier() -> None:
    # Two unrolls state [0.6, 0.4] and [0.2, 0.8]; target 0.
    probs = np.array([[[0.6, 0.4], [0.2, 0.8]]])
    d = decompose_brier(probs, [0])
    # p̂ = [0.4, 0.6]: bias² = 0.36 + 0.36; each unroll is 0.2 away per coordinate.
    assert d.bias2[0] == pytest.approx(0.72)
    assert d.variance[0] == pytest.approx(0.08)
    assert d.error[0] == pytest.approx((0.32 + 1.28) / 2)


def test_vector_in_metric_a() -> None:
    a = np.array([[2.0, 0.0], [0.0, 1.0]])
    b = np.array([1.0, -1.0])
    v = np.array([1.0, 2.0])
    x = np.stack([b + v, b - v])  # symmetric around b: no bias
    d = decompose_vector(x, b, a)
    assert d.bias2[0] == pytest.approx(0.0, abs=1e-15)
    assert d.variance[0] == pytest.approx(2 * 1 + 4)
    assert d.error[0] == pytest.approx(6.0)
    steps = np.stack([x, x + 1.0])  # second step shifted by (1, 1): bias² = 2 + 1
    d2 = decompose_vector(steps, b, a)
    np.testing.assert_allclose(d2.bias2, [0.0, 3.0], atol=1e-15)
    np.testing.assert_allclose(d2.variance, [6.0, 6.0])


def test_embedding_variance() -> None:
    emb = np.array([[[1.0, 0.0], [-1.0, 0.0]], [[3.0, 3.0], [3.0, 3.0]]])
    np.testing.assert_allclose(embedding_variance(emb), [1.0, 0.0])


def test_incoherence_is_ratio_of_sums_and_nan_when_no_error() -> None:
    assert incoherence([0.1, 0.0], [0.2, 0.8]) == pytest.approx(0.1)  # mean of ratios: 0.25
    with pytest.warns(UndefinedIncoherenceWarning):
        assert math.isnan(incoherence([0.0, 0.0], [0.0, 0.0]))
    perfect = decompose_tests([np.ones((4, 2), int)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert math.isnan(perfect.incoherence())
    assert any(issubclass(w.category, UndefinedIncoherenceWarning) for w in caught)


def test_pass_at_k_and_pass_hat_k() -> None:
    assert pass_at_k(5, 2, 2) == pytest.approx(1 - 3 / 10)
    assert pass_hat_k(5, 2, 2) == pytest.approx(1 / 10)
    n = 12
    for c in range(n + 1):
        for k in range(1, n + 1):
            want_at = 1 - math.comb(n - c, k) / math.comb(n, k)
            want_hat = math.comb(c, k) / math.comb(n, k)
            assert pass_at_k(n, c, k) == pytest.approx(want_at, abs=1e-12)
            assert pass_hat_k(n, c, k) == pytest.approx(want_hat, abs=1e-12)
    np.testing.assert_allclose(pass_at_k([10, 10], [0, 10], 3), [0.0, 1.0])


def test_brier_variance_stays_accurate_for_near_identical_unrolls() -> None:
    # Unrolls differ by ~1e-9: a one-pass second-moment formula would lose every digit.
    rng = np.random.default_rng(0)
    base = np.array([0.7, 0.2, 0.1])
    noise = rng.normal(scale=1e-9, size=(2, 50, 3))
    noise -= noise.mean(axis=-1, keepdims=True)  # keep each row summing to 1
    probs = base + noise
    d = decompose_brier(probs, [0, 1])
    for q in range(2):
        dev = probs[q] - probs[q].mean(axis=0)
        want = float((dev**2).sum(axis=1).mean())  # ~1e-18
        assert d.variance[q] == pytest.approx(want, rel=1e-6)
