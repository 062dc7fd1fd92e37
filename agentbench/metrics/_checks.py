"""Input validation shared by the estimators; every failure is a MetricsInputError."""

from __future__ import annotations

import numpy as np

from agentbench.metrics.exceptions import MetricsInputError

PROB_SUM_TOL = 1e-6


def as_float_array(x: object, name: str, ndim: int) -> np.ndarray:
    """`x` as a float64 array with exactly `ndim` dimensions and finite values."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise MetricsInputError(
            f"{name}: cannot be read as a numeric array ({exc}); pass equal-length numeric rows"
        ) from None
    if arr.ndim != ndim:
        raise MetricsInputError(f"{name}: expected {ndim} dimensions, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise MetricsInputError(f"{name}: non-finite value at index {tuple(int(i) for i in bad)}")
    return arr


def unroll_mask(mask: object | None, shape: tuple[int, int], name: str = "mask") -> np.ndarray:
    """A boolean (questions, unrolls) mask of valid unrolls; all-True when `mask` is None."""
    if mask is None:
        return np.ones(shape, dtype=bool)
    m = np.asarray(mask)
    if m.shape != shape:
        raise MetricsInputError(
            f"{name}: shape {m.shape} does not match (questions, unrolls) {shape}"
        )
    return m.astype(bool, copy=False)


def check_min_unrolls(n_unrolls: np.ndarray, name: str) -> None:
    """Every question needs at least 2 unrolls: one unroll has no variance to measure."""
    bad = np.flatnonzero(n_unrolls < 2)
    if bad.size:
        q = int(bad[0])
        raise MetricsInputError(
            f"{name}: question {q} has {int(n_unrolls[q])} unroll(s); at least 2 are needed "
            "(drop the question or run more seeds)"
        )


def last_axis_sum(x: np.ndarray) -> np.ndarray:
    """Sum over a short last axis (options) as a matrix-vector product.

    numpy's own reduction over a last axis of length ~4 pays per-row overhead; BLAS
    does the same sum an order of magnitude faster.
    """
    if x.dtype != np.float64:
        return x.sum(axis=-1)
    return np.matmul(x, np.ones(x.shape[-1]))


def check_probs(probs: np.ndarray, mask: np.ndarray | None, name: str = "probs") -> None:
    """Probabilities must be finite, >= 0 and sum to 1 (within 1e-6) on every valid unroll."""
    sums = last_axis_sum(probs)  # NaN or inf anywhere in a row shows up in its sum
    negative = bool(probs.size) and probs.min() < 0
    # Fast accept: the extreme sums within tolerance (a NaN fails both comparisons). The
    # per-row test below is several times slower and only needed to locate a bad row.
    if not negative and (
        sums.size == 0 or (sums.min() >= 1.0 - PROB_SUM_TOL and sums.max() <= 1.0 + PROB_SUM_TOL)
    ):
        return
    bad = ~(np.abs(sums - 1.0) <= PROB_SUM_TOL)  # also True where the sum is NaN
    if negative:
        bad |= (probs < 0).any(axis=-1)
    if mask is not None:
        bad &= mask
    if not bad.any():
        return
    q, r = (int(i) for i in np.argwhere(bad)[0])
    if not np.all(np.isfinite(probs[q, r])):
        raise MetricsInputError(f"{name}: question {q}, unroll {r} has a non-finite probability")
    if (probs[q, r] < 0).any():
        raise MetricsInputError(f"{name}: question {q}, unroll {r} has a negative probability")
    raise MetricsInputError(
        f"{name}: question {q}, unroll {r} sums to {sums[q, r]:.6g}, not 1 "
        "(normalise each distribution; unparsable answers should be uniform)"
    )


def check_target(
    target: object, n_questions: int, n_options: int, name: str = "target"
) -> np.ndarray:
    """Integer target option per question, each in [0, n_options)."""
    t = np.asarray(target)
    if t.shape != (n_questions,):
        raise MetricsInputError(f"{name}: expected shape ({n_questions},), got {t.shape}")
    if t.size and not np.issubdtype(t.dtype, np.integer):
        if not np.all(np.equal(np.mod(t, 1), 0)):
            raise MetricsInputError(f"{name}: option indices must be integers")
        t = t.astype(np.int64)
    bad = np.flatnonzero((t < 0) | (t >= n_options))
    if bad.size:
        q = int(bad[0])
        raise MetricsInputError(
            f"{name}: question {q} has target {int(t[q])}, outside 0..{n_options - 1}"
        )
    return t.astype(np.intp, copy=False)
