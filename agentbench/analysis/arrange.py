"""Arrange one system's samples per question (unrolls in seed order) into a metrics model.

Vectorised on purpose: a sort by (question, seed) and one flat array of outcomes, so that
100k samples arrange in well under a second (the metrics table entry point loops per row).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from agentbench.analysis.load import Samples
from agentbench.metrics import FeatureModel, RaggedTests, make_probs_model, make_tests_model
from agentbench.store.schema import CHOICE, TESTS


@dataclass(frozen=True, eq=False)
class Arranged:
    """One system's questions, its feature model, lengths (Q, R; NaN-padded) and what was left out."""

    question_ids: list[str]
    model: FeatureModel
    lengths: np.ndarray
    dropped: dict[str, str] = field(default_factory=dict)  # question id -> why it was left out


def _runs(sorted_q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and length of each run of equal question ids in a sorted array."""
    if sorted_q.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    change = np.flatnonzero(sorted_q[1:] != sorted_q[:-1]) + 1
    starts = np.concatenate([[0], change]).astype(np.int64)
    return starts, np.diff(np.concatenate([starts, [sorted_q.size]])).astype(np.int64)


def arrange(samples: Samples, rows: np.ndarray) -> Arranged | None:
    """Build the model of the samples at `rows` (one system); None when no question is usable."""
    q = samples.question[rows].astype(str)
    seeds = samples.seed[rows]
    order = np.lexsort((seeds, q))
    idx = rows[order]
    q = q[order]
    starts, counts = _runs(q)
    widths = np.fromiter((len(samples.outcome[i]) for i in idx), dtype=np.int64, count=idx.size)
    dropped: dict[str, str] = {}
    keep: list[int] = []
    for k, (s, n) in enumerate(zip(starts, counts, strict=True)):
        w = widths[s : s + n]
        if n < 2:
            dropped[str(q[s])] = "only 1 finished unroll (2 needed for a variance)"
        elif w.min() != w.max():
            dropped[str(q[s])] = f"unrolls graded different numbers of tests {sorted(set(w))}"
        elif w[0] == 0:
            dropped[str(q[s])] = "empty outcome vector"
        elif samples.kind == CHOICE and len(set(samples.target[idx[s : s + n]].tolist())) != 1:
            dropped[str(q[s])] = "unrolls disagree on the correct option"
        else:
            keep.append(k)
    if not keep:
        return None
    ks = np.asarray(keep, dtype=np.int64)
    starts, counts = starts[ks], counts[ks]
    qids = [str(q[s]) for s in starts]
    sel = np.concatenate([np.arange(s, s + n) for s, n in zip(starts, counts, strict=True)])
    sidx = idx[sel]
    r_max = int(counts.max())
    lengths = np.full((len(qids), r_max), np.nan)
    pos = sel - np.repeat(starts, counts)  # unroll position within its question
    qpos = np.repeat(np.arange(len(qids)), counts)
    lengths[qpos, pos] = samples.length[sidx]
    if samples.kind == TESTS:
        flat = np.fromiter(
            (v for i in sidx for v in samples.outcome[i]),
            dtype=np.uint8,
            count=int(widths[sel].sum()),
        )
        rt = RaggedTests.from_flat(flat, counts, widths[starts])
        model = make_tests_model(rt)
    elif samples.kind == CHOICE:
        c_max = int(widths[sel].max())
        x = np.zeros((len(qids), r_max, c_max))
        x[..., 0] = 1.0  # placeholder in masked slots; never weighted
        mask = np.zeros((len(qids), r_max), dtype=bool)
        for j, i in enumerate(sidx):
            row = samples.outcome[i]
            x[qpos[j], pos[j]] = 0.0
            x[qpos[j], pos[j], : len(row)] = row
        mask[qpos, pos] = True
        model = make_probs_model(x, samples.target[idx[starts]], mask)
    else:
        return None
    return Arranged(question_ids=qids, model=model, lengths=lengths, dropped=dropped)


def compact(
    model: FeatureModel, keep: np.ndarray, lengths: np.ndarray
) -> tuple[FeatureModel, np.ndarray]:
    """The unrolls where `keep` (Q, R) is True moved to the front and the rest cut off.

    A half of each question's unrolls then costs the bootstrap half the work, and its
    mask is "first n", which the resampler handles without a gather.
    """
    m = model.mask & keep
    order = np.argsort(~m, axis=1, kind="stable")
    width = max(1, int(m.sum(axis=1).max()))
    order = order[:, :width]
    feats = np.take_along_axis(model.features, order[..., None], axis=1)
    new_mask = np.take_along_axis(m, order, axis=1)
    feats = np.where(new_mask[..., None], feats, 0)
    changes: dict[str, object] = {"features": feats, "mask": new_mask}
    gram = getattr(model, "gram", None)  # per-question (R, R) matrix of some kinds
    if gram is not None:
        g = np.take_along_axis(gram, order[:, :, None], axis=1)
        changes["gram"] = np.take_along_axis(g, order[:, None, :], axis=2)
    return replace(model, **changes), np.take_along_axis(lengths, order, axis=1)
