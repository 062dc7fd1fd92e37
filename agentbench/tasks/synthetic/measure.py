"""Per-step bias², variance and incoherence of rollout iterates in the A-norm (METHODS.md §2d).

Each recorded rollout step is one question whose unrolls are the N start points and whose
target is the minimum b; the decomposition is the shared metrics core's
`decompose_vector` (BIAS² = ‖mean x − b‖²_A, VARIANCE = mean ‖x − mean x‖²_A).
"""

from __future__ import annotations

import numpy as np

from agentbench.metrics.continuous import decompose_vector
from agentbench.metrics.incoherence import ratio_of_sums


def per_step(iterates: np.ndarray, b: np.ndarray, A: np.ndarray) -> dict[str, np.ndarray]:
    """iterates (steps, N, d) -> per-step arrays bias2, variance, error, incoherence."""
    dec = decompose_vector(iterates, b, metric=A)
    # one question per step: incoherence is that step's variance / error (NaN when 0)
    inc = ratio_of_sums(dec.variance[:, None], dec.error[:, None], axis=-1)
    return {
        "bias2": dec.bias2,
        "variance": dec.variance,
        "error": dec.error,
        "incoherence": inc,
    }
