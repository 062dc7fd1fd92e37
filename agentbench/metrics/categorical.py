"""Multiple-choice decompositions (METHODS.md §2a): KL, Brier and 0/1, vectorised over questions.

Inputs are `probs` of shape (questions, unrolls, options), an integer `target` per
question and an optional boolean `mask` (questions, unrolls) marking valid unrolls
(missing data, e.g. an infrastructure failure, is masked out rather than imputed).
"""

from __future__ import annotations

import numpy as np

from agentbench.metrics._checks import (
    as_float_array,
    check_min_unrolls,
    check_probs,
    check_target,
    last_axis_sum,
    unroll_mask,
)
from agentbench.metrics.decomposition import Decomposition, ZeroOne

DELTA = 1e-12


def _prepare(
    probs: object, target: object, mask: object | None, validate: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """Validated arrays: probs, target, mask (None when all valid) and unroll counts."""
    try:
        p = np.asarray(probs, dtype=np.float64)
    except (TypeError, ValueError):
        p = as_float_array(probs, "probs", 3)  # raises, naming ragged or non-numeric rows
    if p.ndim != 3:
        as_float_array(p, "probs", 3)  # raises with the shape
    q, r, c = p.shape
    m = None if mask is None else unroll_mask(mask, (q, r))
    if m is not None and m.all():
        m = None
    n = np.full(q, r, dtype=np.int64) if m is None else m.sum(axis=1)
    if validate:
        check_min_unrolls(n, "probs")
        check_probs(p, m)
    t = check_target(target, q, c) if validate else np.asarray(target, dtype=np.intp)
    return p, t, m, n


def _masked_mean(x: np.ndarray, m: np.ndarray | None, n: np.ndarray) -> np.ndarray:
    """Mean over the unroll axis (1) of x (Q, R, ...), counting only valid unrolls."""
    # A (batched) matrix product with the unroll weights: numpy's own reduction over a
    # middle axis with a short inner axis is an order of magnitude slower here.
    if x.ndim == 2:
        return x.mean(axis=1) if m is None else (x * m).sum(axis=1) / n
    if m is None:
        return np.matmul(np.full(x.shape[1], 1.0 / x.shape[1]), x)
    w = (m / n[:, None])[:, None, :]
    return np.matmul(w, x)[:, 0]


def log_plus_delta(probs: np.ndarray, delta: float = DELTA) -> np.ndarray:
    """log(p + δ) elementwise, accurate near p = 1."""
    out = np.add(probs, delta)
    np.log(out, out=out)
    # Near p = 1, p + δ rounds away the δ-sized signal; log1p((p − 1) + δ) keeps it
    # (p − 1 is exact there). Elsewhere the rounding is far below the value itself.
    flat = probs.reshape(-1)
    near_one = np.flatnonzero(flat > 1.0 - 1e-6)
    out.reshape(-1)[near_one] = np.log1p((flat[near_one] - 1.0) + delta)
    return out


def smoothed_log(probs: np.ndarray, delta: float = DELTA) -> np.ndarray:
    """log((p + δ) / (1 + C·δ)) elementwise; C is the last axis length."""
    out = log_plus_delta(probs, delta)
    out -= np.log1p(probs.shape[-1] * delta)
    return out


def kl_from_mean_log(mean_log: np.ndarray, target: np.ndarray) -> Decomposition:
    """KL decomposition from m = mean_r log p̃_r of shape (..., Q, C) (closed forms of §2a)."""
    top_idx = mean_log.argmax(axis=-1)[..., None]
    top = np.take_along_axis(mean_log, top_idx, axis=-1)
    rest = np.exp(mean_log - top)
    np.put_along_axis(rest, top_idx, 0.0, axis=-1)
    # log Σ exp(m) = top + log1p(Σ_{c ≠ top} exp(m_c − top)): exact to rounding even when
    # the normalised geometric mean is within δ of one-hot (then VARIANCE ≈ 0).
    lse = top[..., 0] + np.log1p(rest.sum(axis=-1))
    idx = np.broadcast_to(target, mean_log.shape[:-1])[..., None]
    m_star = np.take_along_axis(mean_log, idx, axis=-1)[..., 0]
    # ERROR = mean CE = -m[c*]; BIAS² = -log p̄[c*] = lse - m[c*]; VARIANCE = -lse.
    return Decomposition(bias2=lse - m_star, variance=-lse, error=-m_star)


def decompose_kl(
    probs: object,
    target: object,
    mask: object | None = None,
    *,
    delta: float = DELTA,
    validate: bool = True,
) -> Decomposition:
    """KL/cross-entropy decomposition per question with the normalised geometric mean."""
    p, t, m, n = _prepare(probs, target, mask, validate)
    # The normaliser log(1 + C·δ) is a constant: subtract it after the mean (one pass less).
    mean_log = _masked_mean(log_plus_delta(p, delta), m, n) - np.log1p(p.shape[-1] * delta)
    return kl_from_mean_log(mean_log, t)


def decompose_brier(
    probs: object, target: object, mask: object | None = None, *, validate: bool = True
) -> Decomposition:
    """Brier decomposition per question: arithmetic mean prediction, squared distances."""
    p, t, m, n = _prepare(probs, target, mask, validate)
    q_idx = np.arange(p.shape[0])
    p_hat = _masked_mean(p, m, n)
    gap = p_hat.copy()
    gap[q_idx, t] -= 1.0
    bias2 = last_axis_sum(gap * gap)
    # Rows flattened to (Q, R·C) so each pass is contiguous and vectorised. Variance from
    # the second moment (one pass), recomputed from deviations (two passes) for the
    # questions where that subtraction cancelled most digits (near-identical unrolls).
    q, r, c = p.shape
    flat = p.reshape(q, r * c)
    w = None if m is None else np.repeat(m, c, axis=1)  # masked unrolls drop out of sums
    second = np.einsum("ij,ij->i", flat if w is None else flat * w, flat) / n
    variance = second - np.einsum("qc,qc->q", p_hat, p_hat)
    redo = np.flatnonzero(variance < 1e-6 * second)
    if redo.size:
        dev = flat[redo] - np.tile(p_hat[redo], r)
        if w is not None:
            dev *= w[redo]
        variance[redo] = np.einsum("ij,ij->i", dev, dev) / n[redo]
    error = second - 2.0 * p_hat[q_idx, t] + 1.0
    return Decomposition(bias2=bias2, variance=variance, error=error)


def decompose_zero_one(
    probs: object, target: object, mask: object | None = None, *, validate: bool = True
) -> ZeroOne:
    """Domingos 0/1 bias and variance; ties in argmax go to the lowest option index."""
    p, t, m, n = _prepare(probs, target, mask, validate)
    main = _masked_mean(p, m, n).argmax(axis=-1)
    answers = p.argmax(axis=-1)
    differs = (answers != main[:, None]).astype(np.float64)
    return ZeroOne(
        bias=(main != t).astype(np.float64),
        variance=_masked_mean(differs, m, n),
        main_prediction=main,
    )


def accuracy(probs: object, target: object, mask: object | None = None) -> np.ndarray:
    """Per question: the fraction of valid unrolls whose argmax option is the target."""
    p, t, m, n = _prepare(probs, target, mask, True)
    hit = (p.argmax(axis=-1) == t[:, None]).astype(np.float64)
    return _masked_mean(hit, m, n)
