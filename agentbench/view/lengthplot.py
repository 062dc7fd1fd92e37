"""Incoherence vs action count (METHODS.md §3): per instance and per length group.

The same cut as the report (k equal-size groups of instances by mean action count,
incoherence a ratio of sums per group), but keeping which instances sit behind each
point so the plot can link to them. One narrow store query per system; results are cached
until the system's samples change.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass

import numpy as np

from agentbench.metrics import decompose_tests, group_by_length
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


def _compute(run: ViewRun, h: str, k: int) -> SystemCurve:
    """Query one system's finished test outcomes and decompose them per instance."""
    rows = run.store.test_vectors(h)
    by_inst: dict[tuple[str, str], tuple[list[str], list[int]]] = {}
    for task, inst, passed, n_act in rows:
        vecs, acts = by_inst.setdefault((task, inst), ([], []))
        vecs.append(passed)
        acts.append(int(n_act or 0))
    keys: list[tuple[str, str]] = []
    mats: list[np.ndarray] = []
    means: list[float] = []
    dropped = 0
    for key, (vecs, acts) in by_inst.items():
        try:
            mat = np.asarray(json.loads("[" + ",".join(vecs) + "]"), dtype=np.uint8)
        except (ValueError, TypeError):
            dropped += 1
            continue
        if mat.ndim != 2 or mat.shape[0] < 2 or mat.shape[1] < 1:
            dropped += 1
            continue
        keys.append(key)
        mats.append(mat)
        means.append(float(np.mean(acts)))
    if not keys:
        return SystemCurve(system_hash=h, instances=[], groups=[], n_dropped=dropped)
    d = decompose_tests(mats)
    ids = [f"{t}\x00{i}" for t, i in keys]
    grouping = group_by_length(ids, means, min(k, len(ids)))
    points = [
        InstancePoint(
            task=t, instance_id=i, n_seeds=int(m.shape[0]), mean_actions=ml,
            bias2=float(b), variance=float(v), error=float(e), group=grouping.assignment[q],
        )
        for (t, i), m, ml, b, v, e, q in zip(
            keys, mats, means, d.bias2, d.variance, d.error, ids, strict=True
        )
    ]  # fmt: skip
    groups: list[GroupPoint] = []
    for g in range(grouping.k):
        members = [p for p in points if p.group == g]
        err = sum(p.error for p in members)
        lens = [p.mean_actions for p in members]
        groups.append(
            GroupPoint(
                group=g, min_actions=min(lens), max_actions=max(lens),
                mean_actions=float(np.mean(lens)),
                incoherence=sum(p.variance for p in members) / err if err > 0 else math.nan,
                n_instances=len(members),
            )
        )  # fmt: skip
    return SystemCurve(system_hash=h, instances=points, groups=groups, n_dropped=dropped)


class CurveCache:
    """Per (run, system) curves, recomputed when the run's store changes."""

    def __init__(self, k: int = 5) -> None:
        self.k = k
        self._lock = threading.Lock()
        self._cache: dict[tuple[int, str], tuple[tuple[int, ...], SystemCurve]] = {}

    def curve(self, run: ViewRun, h: str) -> SystemCurve:
        """The curve of system `h` of `run`, from the cache when the samples are unchanged."""
        version = run.version()
        with self._lock:
            hit = self._cache.get((run.index, h))
        if hit is not None and hit[0] == version:
            return hit[1]
        curve = _compute(run, h, self.k)
        with self._lock:
            self._cache[(run.index, h)] = (version, curve)
        return curve
