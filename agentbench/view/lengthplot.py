"""Incoherence vs length (METHODS.md §3): per instance and per length group.

The report builder's own cut (analysis.build: samples arranged per instance, k equal-size
groups by mean length, incoherence a ratio of sums per group), keeping which instances sit
behind each point so the plot can link to them. Cached until the run's samples change.
"""

from __future__ import annotations

import math
import threading
import warnings
from dataclasses import dataclass

import numpy as np

from agentbench.analysis.arrange import arrange
from agentbench.analysis.build import length_grouping
from agentbench.analysis.load import Samples, load_run
from agentbench.metrics import incoherence
from agentbench.store.schema import TESTS
from agentbench.view.runs import ViewRun


@dataclass(frozen=True)
class InstancePoint:
    """One instance: mean action count and its decomposition."""

    task: str
    instance_id: str
    n_seeds: int
    mean_actions: float
    bias2: float
    variance: float
    error: float
    group: int

    @property
    def incoherence(self) -> float:
        """variance / error (NaN when the instance never errs)."""
        return self.variance / self.error if self.error > 0 else math.nan


@dataclass(frozen=True)
class GroupPoint:
    """One length group: the instances in it and their pooled incoherence."""

    group: int
    min_actions: float
    max_actions: float
    mean_actions: float
    incoherence: float
    n_instances: int


@dataclass(frozen=True)
class SystemCurve:
    """Every point of one system, and why some instances were left out."""

    system_hash: str
    instances: list[InstancePoint]
    groups: list[GroupPoint]
    n_dropped: int  # instances with fewer than 2 finished seeds or ragged test vectors


def _compute(samples: Samples | None, h: str, k: int) -> SystemCurve:
    """One system's finished test outcomes, arranged and grouped as the report does."""
    rows = np.zeros(0, np.int64) if samples is None else np.flatnonzero(samples.system_hash == h)
    a = None if rows.size == 0 else arrange(samples, rows)  # type: ignore[arg-type]
    if a is None:
        n = 0 if samples is None else len(set(samples.question[rows].tolist()))
        return SystemCurve(system_hash=h, instances=[], groups=[], n_dropped=n)
    st = a.model.stats()
    mean_len = np.nanmean(a.lengths, axis=1)
    grouping = length_grouping(a, k)
    labels = grouping.groups_of(a.question_ids)
    points = [
        InstancePoint(
            task=q.split("/", 1)[0], instance_id=q.split("/", 1)[1], n_seeds=int(n),
            mean_actions=float(ml), bias2=float(b), variance=float(v), error=float(e), group=int(g),
        )
        for q, n, ml, b, v, e, g in zip(
            a.question_ids, a.model.n_unrolls, mean_len, st["bias2"], st["variance"], st["error"],
            labels, strict=True,
        )
    ]  # fmt: skip
    groups: list[GroupPoint] = []
    for g in range(grouping.k):
        idx = np.flatnonzero(labels == g)
        if idx.size == 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a group without errors: NaN, drawn as none
            inc = incoherence(st["variance"][idx], st["error"][idx])
        groups.append(
            GroupPoint(
                group=g, min_actions=float(mean_len[idx].min()),
                max_actions=float(mean_len[idx].max()), mean_actions=float(mean_len[idx].mean()),
                incoherence=inc, n_instances=int(idx.size),
            )
        )  # fmt: skip
    return SystemCurve(system_hash=h, instances=points, groups=groups, n_dropped=len(a.dropped))


class CurveCache:
    """Per (run, system) curves, recomputed when the run's store changes."""

    def __init__(self, k: int = 5) -> None:
        self.k = k
        self._lock = threading.Lock()
        self._cache: dict[tuple[int, str], tuple[tuple[int, ...], SystemCurve]] = {}
        self._samples: dict[int, tuple[tuple[int, ...], Samples | None]] = {}  # one load per run

    def curve(self, run: ViewRun, h: str) -> SystemCurve:
        """The curve of system `h` of `run`, from the cache when the samples are unchanged."""
        version = run.version()
        with self._lock:
            hit = self._cache.get((run.index, h))
        if hit is not None and hit[0] == version:
            return hit[1]
        with self._lock:
            loaded = self._samples.get(run.index)
        if loaded is None or loaded[0] != version:
            loaded = (version, load_run(run.path, task_prefix=True).by_kind.get(TESTS))
            with self._lock:
                self._samples[run.index] = loaded
        curve = _compute(loaded[1], h, self.k)
        with self._lock:
            self._cache[(run.index, h)] = (version, curve)
        return curve
