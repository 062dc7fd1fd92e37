"""Continuous outcomes: vectors in a metric A (synthetic optimizer, §2d) and embeddings (§2c)."""

from __future__ import annotations

import numpy as np

from agentbench.metrics._checks import as_float_array, check_min_unrolls, unroll_mask
from agentbench.metrics.decomposition import Decomposition
from agentbench.metrics.exceptions import MetricsInputError


def _metric(a: object | None, d: int) -> np.ndarray:
    """The metric matrix: identity when None; must be (d, d) symmetric positive semi-definite."""
    if a is None:
        return np.eye(d)
    mat = as_float_array(a, "metric", 2)
    if mat.shape != (d, d):
        raise MetricsInputError(f"metric: expected shape ({d}, {d}), got {mat.shape}")
    if not np.allclose(mat, mat.T, rtol=1e-10, atol=1e-12):
        raise MetricsInputError("metric: A must be symmetric (use (A + A.T) / 2)")
    if np.linalg.eigvalsh(mat).min() < -1e-10 * max(1.0, float(np.abs(mat).max())):
        raise MetricsInputError("metric: A must be positive semi-definite")
    return mat


def decompose_vector(x: object, target: object, metric: object | None = None) -> Decomposition:
    """Per step: BIAS² = ‖mean x − b‖²_A, VARIANCE = mean ‖x − mean x‖²_A, ERROR = mean ‖x − b‖²_A.

    `x` has shape (steps, unrolls, d) (or (unrolls, d) for one step); `target` is b of
    shape (d,) or (steps, d).
    """
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 2:
        arr = arr[None]
    arr = as_float_array(arr, "x", 3)
    steps, n, d = arr.shape
    check_min_unrolls(np.full(steps, n), "x")
    b = as_float_array(
        np.broadcast_to(np.asarray(target, dtype=np.float64), (steps, d)), "target", 2
    )
    a = _metric(metric, d)
    mean = arr.mean(axis=1)
    gap = mean - b
    bias2 = np.einsum("sd,de,se->s", gap, a, gap)
    dev = arr - mean[:, None, :]
    variance = np.einsum("snd,de,sne->s", dev, a, dev) / n
    miss = arr - b[:, None, :]
    error = np.einsum("snd,de,sne->s", miss, a, miss) / n
    return Decomposition(bias2=bias2, variance=variance, error=error)


def embedding_variance(embeddings: object, mask: object | None = None) -> np.ndarray:
    """Per question: mean squared Euclidean distance of the unroll embeddings to their mean."""
    e = as_float_array(embeddings, "embeddings", 3)
    q, r, _ = e.shape
    m = unroll_mask(mask, (q, r))
    n = m.sum(axis=1)
    check_min_unrolls(n, "embeddings")
    w = m[..., None].astype(np.float64)
    mean = (e * w).sum(axis=1) / n[:, None]
    dev = (e - mean[:, None, :]) * w
    return np.einsum("qrd,qrd->q", dev, dev) / n
