"""Simulated test-vector populations whose bias², variance and error are known exactly.

Each question draws a difficulty class z from a mixture; each of its T tests (T uniform
on 1..max_tests) draws a pass probability p ~ Beta(α_z, β_z); each unroll passes test j
with probability p, independently.

Truth is defined as the population expectation of the plug-in estimators at the same
number of unrolls R (not the R → ∞ limit): with μ1 = E p and μ2 = E p² per test,

    E[ERROR]    = 1 − μ1
    E[VARIANCE] = (R − 1)/R · (μ1 − μ2)           (plug-in variance is low by (R−1)/R)
    E[BIAS²]    = (1 − 2μ1 + μ2) + (μ1 − μ2)/R      (plug-in bias² is high by the same amount)

and incoherence = E[VARIANCE]/E[ERROR]; the identity holds for the truths as well.
Resolved rate: E over z and T of μ1(z)^T. The R → ∞ values are also reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agentbench.metrics.exceptions import MetricsInputError
from agentbench.metrics.testvectors import RaggedTests


@dataclass(frozen=True)
class BetaMixture:
    """Difficulty classes: mixture weights and Beta(α, β) of the per-test pass probability."""

    weights: tuple[float, ...] = (0.35, 0.4, 0.25)
    alpha: tuple[float, ...] = (6.0, 1.0, 0.3)
    beta: tuple[float, ...] = (1.0, 1.0, 2.0)

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Per class: E p and E p² under Beta(α, β)."""
        a, b = np.asarray(self.alpha), np.asarray(self.beta)
        m1 = a / (a + b)
        m2 = a * (a + 1) / ((a + b) * (a + b + 1))
        return m1, m2


@dataclass(frozen=True)
class Truth:
    """Population values per question (means) and the incoherence ratio."""

    bias2: float
    variance: float
    error: float
    incoherence: float
    accuracy: float

    def as_dict(self) -> dict[str, float]:
        """The values keyed like the bootstrap statistics."""
        return {
            "bias2": self.bias2,
            "variance": self.variance,
            "error": self.error,
            "incoherence": self.incoherence,
            "accuracy": self.accuracy,
        }


@dataclass(frozen=True, eq=False)
class SimulatedTests:
    """Simulated outcomes, the pass probabilities behind them and the truths."""

    tests: RaggedTests
    pass_prob: list[np.ndarray]
    truth: Truth  # expected plug-in value at the simulated R
    limit: Truth  # R → ∞


def population_truth(mixture: BetaMixture, n_unrolls: int | None, max_tests: int) -> Truth:
    """Exact expected per-question values at `n_unrolls` (None: the R → ∞ limit)."""
    w = np.asarray(mixture.weights) / np.sum(mixture.weights)
    m1c, m2c = mixture.moments()
    m1, m2 = float(w @ m1c), float(w @ m2c)
    spread = m1 - m2  # E[p(1 − p)]
    shrink = 1.0 if n_unrolls is None else (n_unrolls - 1) / n_unrolls
    variance = shrink * spread
    error = 1.0 - m1
    bias2 = error - variance
    t = np.arange(1, max_tests + 1)
    accuracy = float(w @ (m1c[:, None] ** t[None, :]).mean(axis=1))
    return Truth(
        bias2=bias2, variance=variance, error=error, incoherence=variance / error, accuracy=accuracy
    )


def simulate_tests(
    n_questions: int,
    n_unrolls: int,
    *,
    seed: int = 0,
    max_tests: int = 20,
    mixture: BetaMixture | None = None,
) -> SimulatedTests:
    """Draw a population of instances and their binary test outcomes (vectorised)."""
    if n_questions < 1 or n_unrolls < 2 or max_tests < 1:
        raise MetricsInputError(
            "simulate_tests: need questions >= 1, unrolls >= 2 and max_tests >= 1"
        )
    mix = mixture or BetaMixture()
    rng = np.random.default_rng(seed)
    w = np.asarray(mix.weights) / np.sum(mix.weights)
    z = rng.choice(len(w), size=n_questions, p=w)
    n_tests = rng.integers(1, max_tests + 1, size=n_questions)
    test_class = np.repeat(z, n_tests)
    p = rng.beta(np.asarray(mix.alpha)[test_class], np.asarray(mix.beta)[test_class])
    # Outcomes laid out (instance, unroll, test): repeat each instance's p over its unrolls.
    starts = np.concatenate([[0], np.cumsum(n_tests)[:-1]])
    p_rows = np.concatenate(
        [np.tile(p[s : s + t], n_unrolls) for s, t in zip(starts, n_tests, strict=True)]
    )
    values = (rng.random(p_rows.size) < p_rows).astype(np.uint8)
    tests = RaggedTests.from_flat(values, np.full(n_questions, n_unrolls), n_tests)
    pass_prob = [p[s : s + t] for s, t in zip(starts, n_tests, strict=True)]
    return SimulatedTests(
        tests=tests,
        pass_prob=pass_prob,
        truth=population_truth(mix, n_unrolls, max_tests),
        limit=population_truth(mix, None, max_tests),
    )
