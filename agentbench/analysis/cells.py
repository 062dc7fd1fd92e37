"""One cell of a report: the bootstrap of a question set (METHODS.md §4)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from agentbench.analysis.types import STAT_NAMES, Cell, Estimate
from agentbench.errors import ConfigError
from agentbench.metrics import FeatureModel, bootstrap


@dataclass(frozen=True)
class Boot:
    """Bootstrap settings: draws for headline cells and for detail cells (groups, halves)."""

    n_boot: int = 1000
    detail_boot: int = 200
    confidence: float = 0.9
    seed: int = 0
    nested: bool = True


def check_boot(draws: dict[str, int], confidence: float) -> None:
    """Bootstrap options a user typed: at least 10 draws each, 0 < confidence < 1."""
    for opt, n in draws.items():  # keys are the CLI's option names: that is where they were typed
        if n < 10:
            raise ConfigError(f"{n} bootstrap draws is too few", field=opt, fix="use at least 10")
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"confidence={confidence} must lie strictly between 0 and 1",
                          field="--confidence", fix="use e.g. 0.9")  # fmt: skip


def estimate(iv: object) -> Estimate:
    """A metrics interval as a report Estimate."""
    return Estimate(estimate=iv.estimate, low=iv.low, high=iv.high)  # type: ignore[attr-defined]


def cell_of(model: FeatureModel, lengths: np.ndarray, boot: Boot, detail: bool = False) -> Cell:
    """Bootstrap one question set (questions resampled, unrolls nested; METHODS.md §4)."""
    res = bootstrap(
        model,
        n_boot=boot.detail_boot if detail else boot.n_boot,
        confidence=boot.confidence,
        seed=boot.seed,
        nested=boot.nested,
    )
    n_u = model.n_unrolls
    valid = np.where(model.mask, lengths, np.nan)
    stats = {k: estimate(res.intervals[k]) for k in STAT_NAMES}
    return Cell(
        n_questions=model.n_questions,
        n_unrolls=int(n_u.sum()),
        min_unrolls=int(n_u.min()),
        mean_length=float(np.nanmean(valid)) if np.isfinite(valid).any() else math.nan,
        **stats,
    )
