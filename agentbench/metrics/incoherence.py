"""Incoherence: a ratio of sums over questions, never a mean of per-question ratios."""

from __future__ import annotations

import warnings

import numpy as np

from agentbench.metrics.exceptions import MetricsInputError, UndefinedIncoherenceWarning


def incoherence(variance: object, error: object) -> float:
    """Σ variance / Σ error; NaN (with UndefinedIncoherenceWarning) when Σ error is 0."""
    v = np.asarray(variance, dtype=np.float64)
    e = np.asarray(error, dtype=np.float64)
    if v.shape != e.shape:
        raise MetricsInputError(f"variance shape {v.shape} differs from error shape {e.shape}")
    total = float(e.sum())
    if total == 0.0:
        warnings.warn(
            "incoherence undefined: total error is 0 over this question set (reported as NaN)",
            UndefinedIncoherenceWarning,
            stacklevel=2,
        )
        return float("nan")
    return float(v.sum()) / total


def ratio_of_sums(variance: np.ndarray, error: np.ndarray, axis: int = -1) -> np.ndarray:
    """Vectorised Σ variance / Σ error along `axis`; NaN (no warning) where Σ error is 0."""
    num = variance.sum(axis=axis)
    den = error.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
