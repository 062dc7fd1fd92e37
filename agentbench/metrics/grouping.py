"""Length groups, the per-question median split, and ensembling curves (METHODS.md §3)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from agentbench.metrics import categorical as cat
from agentbench.metrics._checks import unroll_mask
from agentbench.metrics.exceptions import MetricsInputError


@dataclass(frozen=True)
class LengthGrouping:
    """Questions in k groups by mean length; pass it back in to reuse it for another system.

    `assignment` maps question id to group 0..k-1 (0 = shortest); `edges[g]` is the largest
    mean length in group g (g < k-1), for binning questions the reference never saw.
    """

    k: int
    edges: np.ndarray
    assignment: dict[Hashable, int]

    def groups_of(self, question_ids: Sequence[Hashable]) -> np.ndarray:
        """Group index of each question id; unknown ids are an error."""
        out = np.empty(len(question_ids), dtype=np.int64)
        for i, q in enumerate(question_ids):
            if q not in self.assignment:
                raise MetricsInputError(
                    f"grouping: question {q!r} is not in the reference grouping "
                    "(use mode='edges' to bin it by its own mean length)"
                )
            out[i] = self.assignment[q]
        return out


def group_by_length(
    question_ids: Sequence[Hashable],
    mean_lengths: object,
    k: int = 5,
    *,
    reference: LengthGrouping | None = None,
    mode: str = "questions",
) -> LengthGrouping:
    """Split questions into k equal-size groups by mean length (sizes differ by at most 1).

    Ties in mean length are broken by the question id's string form, so the grouping
    does not depend on input order. With `reference`, mode "questions" reuses its
    assignment for the same question ids; mode "edges" bins by the reference's edges.
    """
    ids = list(question_ids)
    lengths = np.asarray(mean_lengths, dtype=np.float64).reshape(-1)
    if lengths.size != len(ids):
        raise MetricsInputError(f"grouping: {len(ids)} question ids but {lengths.size} lengths")
    if not np.all(np.isfinite(lengths)):
        raise MetricsInputError("grouping: mean lengths must be finite numbers")
    if len(set(ids)) != len(ids):
        raise MetricsInputError("grouping: question ids must be unique")
    if reference is not None:
        if mode == "questions":
            groups = reference.groups_of(ids)
        elif mode == "edges":
            groups = np.searchsorted(reference.edges, lengths, side="left")
        else:
            raise MetricsInputError(f"grouping: mode {mode!r} is not 'questions' or 'edges'")
        return LengthGrouping(
            k=reference.k,
            edges=reference.edges,
            assignment={q: int(g) for q, g in zip(ids, groups, strict=True)},
        )
    if not 1 <= k <= len(ids):
        raise MetricsInputError(f"grouping: k={k} groups need 1 <= k <= {len(ids)} questions")
    order = sorted(range(len(ids)), key=lambda i: (lengths[i], str(ids[i])))
    parts = np.array_split(np.asarray(order, dtype=np.int64), k)
    assignment: dict[Hashable, int] = {}
    for g, part in enumerate(parts):
        for i in part:
            assignment[ids[int(i)]] = g
    edges = np.array([lengths[part].max() for part in parts[:-1]])
    return LengthGrouping(k=k, edges=edges, assignment=assignment)


def median_split(lengths: object, mask: object | None = None) -> np.ndarray:
    """Per question, label unrolls 0 (short half), 1 (long half) or -1 (dropped / invalid).

    Valid unrolls are ranked by length, ties broken by unroll position (pass them in
    seed order); the first ⌊n/2⌋ are short and the last ⌊n/2⌋ long, so both halves have
    equal size. With odd n the single median unroll is dropped.
    """
    arr = np.asarray(lengths, dtype=np.float64)
    if arr.ndim != 2:
        raise MetricsInputError(f"lengths: expected (questions, unrolls), got shape {arr.shape}")
    m = unroll_mask(mask, arr.shape)
    keyed = np.where(m, arr, np.inf)
    order = np.argsort(keyed, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(arr.shape[1])[None, :].repeat(arr.shape[0], 0), 1)
    n = m.sum(axis=1)[:, None]
    half = n // 2
    out = np.full(arr.shape, -1, dtype=np.int8)
    out[(rank < half) & m] = 0
    out[(rank >= n - half) & (rank < n) & m] = 1
    return out


@dataclass(frozen=True)
class EnsemblePoint:
    """Mean per-question bias², variance and error across ensembles of one size."""

    size: int
    n_ensembles: int
    bias2: float
    variance: float
    error: float


def ensemble_curve(
    probs: object,
    target: object,
    sizes: Sequence[int] = (1, 2, 4, 8),
    *,
    loss: str = "kl",
    seed: int | None = None,
) -> list[EnsemblePoint]:
    """Average E probability vectors per ensemble, ⌊R/E⌋ disjoint ensembles per size, decompose.

    With `seed`, unrolls are shuffled within each question before being cut into
    ensembles; otherwise they are taken in the given order.
    """
    p, t, _, _ = cat._prepare(probs, target, None, True)
    q, r, c = p.shape
    if seed is not None:
        perm = np.random.default_rng(seed).random((q, r)).argsort(axis=1)
        p = np.take_along_axis(p, perm[..., None], axis=1)
    decompose = {"kl": cat.decompose_kl, "brier": cat.decompose_brier}.get(loss)
    if decompose is None:
        raise MetricsInputError(f"loss: {loss!r} is not one of 'kl', 'brier'")
    points = []
    for e in sizes:
        n_ens = r // int(e)
        if e < 1 or n_ens < 2:
            raise MetricsInputError(
                f"ensemble size {e}: {r} unrolls give {n_ens} disjoint ensembles; need at least 2"
            )
        members = p[:, : n_ens * e].reshape(q, n_ens, e, c).mean(axis=2)
        d = decompose(members, t, validate=False)
        points.append(
            EnsemblePoint(
                size=int(e),
                n_ensembles=n_ens,
                bias2=float(d.bias2.mean()),
                variance=float(d.variance.mean()),
                error=float(d.error.mean()),
            )
        )
    return points
