"""The per-question result of a decomposition: bias², variance and error arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agentbench.metrics.incoherence import incoherence


@dataclass(frozen=True)
class Decomposition:
    """Per-question BIAS², VARIANCE and ERROR (same shape); ERROR = BIAS² + VARIANCE."""

    bias2: np.ndarray
    variance: np.ndarray
    error: np.ndarray

    def incoherence(self) -> float:
        """Σ variance / Σ error over all questions (NaN with a warning when Σ error = 0)."""
        return incoherence(self.variance, self.error)

    def totals(self) -> tuple[float, float, float]:
        """(Σ bias², Σ variance, Σ error) over questions."""
        return float(self.bias2.sum()), float(self.variance.sum()), float(self.error.sum())


@dataclass(frozen=True)
class ZeroOne:
    """Domingos 0/1 bias (0 or 1) and variance per question; no incoherence is defined."""

    bias: np.ndarray
    variance: np.ndarray
    main_prediction: np.ndarray
