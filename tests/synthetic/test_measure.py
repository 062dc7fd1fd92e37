"""Per-step decomposition in the A-norm against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from agentbench.tasks.synthetic.measure import per_step


def test_hand_computed_diagonal_metric() -> None:
    # two start points at (1,0) and (3,0), minimum at 0, A = diag(1, 4):
    # mean (2,0) -> bias² 4; deviations ±(1,0) -> variance 1; error mean(1, 9) = 5
    x = np.array([[[1.0, 0.0], [3.0, 0.0]]])
    r = per_step(x, np.zeros(2), np.diag([1.0, 4.0]))
    assert r["bias2"][0] == pytest.approx(4.0)
    assert r["variance"][0] == pytest.approx(1.0)
    assert r["error"][0] == pytest.approx(5.0)
    assert r["incoherence"][0] == pytest.approx(0.2)


def test_hand_computed_coupled_metric_and_steps() -> None:
    A = np.array([[2.0, 1.0], [1.0, 2.0]])
    # step 0: points (1,0), (0,1): mean (.5,.5) -> bias² 1.5, each deviation ±(.5,-.5) -> 0.5
    # step 1: both at (1,1) -> bias² 6, variance 0, incoherence 0
    x = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]]])
    r = per_step(x, np.zeros(2), A)
    assert r["bias2"] == pytest.approx([1.5, 6.0])
    assert r["variance"] == pytest.approx([0.5, 0.0])
    assert r["error"] == pytest.approx([2.0, 6.0])
    assert r["incoherence"] == pytest.approx([0.25, 0.0])


def test_zero_error_step_is_nan_not_zero() -> None:
    x = np.zeros((1, 3, 2))
    r = per_step(x, np.zeros(2), np.eye(2))
    assert np.isnan(r["incoherence"][0])


def test_identity_error_equals_bias_plus_variance_random() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(7, 50, 4))
    m = rng.normal(size=(4, 4))
    A = m @ m.T + np.eye(4)
    r = per_step(x, rng.normal(size=4), A)
    assert np.allclose(r["error"], r["bias2"] + r["variance"])
