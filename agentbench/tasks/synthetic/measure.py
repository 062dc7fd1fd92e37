"""Per-step bias², variance and incoherence of rollout iterates in the A-norm (METHODS.md §2d).

Each recorded rollout step is one question whose unrolls are the N start points and whose
target is the minimum b. The decomposition comes from the shared metrics core when it
offers a continuous-vector estimator in a metric A; until then `_decompose_local` computes
the same formulas and returns the core's `Decomposition` record, so swapping is one line.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from agentbench.metrics.decomposition import Decomposition
from agentbench.metrics.incoherence import ratio_of_sums


def _decompose_local(x: np.ndarray, target: np.ndarray, metric: np.ndarray) -> Decomposition:
    """x (Q, R, d) outcomes, target (Q, d), metric A (d, d): BIAS² = ‖x̄ − b‖²_A, VAR = mean ‖x − x̄‖²_A."""
    mean = x.mean(axis=1)
    dev = x - mean[:, None, :]
    off = mean - target
    bias2 = np.einsum("qi,ij,qj->q", off, metric, off)
    variance = np.einsum("qri,ij,qrj->qr", dev, metric, dev).mean(axis=1)
    err = x - target[:, None, :]
    error = np.einsum("qri,ij,qrj->qr", err, metric, err).mean(axis=1)
    return Decomposition(bias2=bias2, variance=variance, error=error)


def _core_decomposer() -> Callable[[np.ndarray, np.ndarray, np.ndarray], Decomposition]:
    """The metrics core's continuous decomposition if it exists, else the local one."""
    try:
        from agentbench.metrics.continuous import (  # type: ignore[import-not-found]
            decompose_vectors,
        )
    except ImportError:
        return _decompose_local
    return lambda x, target, metric: decompose_vectors(x, target, metric=metric)


def per_step(iterates: np.ndarray, b: np.ndarray, A: np.ndarray) -> dict[str, np.ndarray]:
    """iterates (steps, N, d) -> per-step arrays bias2, variance, error, incoherence."""
    x = np.asarray(iterates, dtype=np.float64)
    target = np.broadcast_to(np.asarray(b, dtype=np.float64), (x.shape[0], x.shape[2]))
    dec = _core_decomposer()(x, np.ascontiguousarray(target), np.asarray(A, dtype=np.float64))
    inc = ratio_of_sums(dec.variance[:, None], dec.error[:, None], axis=-1)
    return {
        "bias2": dec.bias2,
        "variance": dec.variance,
        "error": dec.error,
        "incoherence": inc,
    }
