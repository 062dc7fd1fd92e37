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
    unroll_mask,
)
from agentbench.metrics.decomposition import Decomposition, ZeroOne

DELTA = 1e-12


def _prepare(
    probs: object, target: object, mask: object | None, validate: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """Validated arrays: probs, target, mask (None when all valid) and unroll counts."""
    p = as_float_array(probs, "probs", 3) if validate else np.asarray(probs, dtype=np.float64)
    q, r, c = p.shape
    m = None if mask is None else unroll_mask(mask, (q, r))
    n = np.full(q, r, dtype=np.int64) if m is None else m.sum(axis=1)
    if validate:
        check_min_unrolls(n, "probs")
        check_probs(p, np.ones((q, r), bool) if m is None else m)
    t = check_target(target, q, c) if validate else np.asarray(target, dtype=np.intp)
    return p, t, m, n


def _masked_mean(x: np.ndarray, m: np.ndarray | None, n: np.ndarray) -> np.ndarray:
    """Mean over the unroll axis (1) of x (Q, R, ...), counting only valid unrolls."""
    if m is None:
        return x.mean(axis=1)
    w = m.reshape(m.shape + (1,) * (x.ndim - 2))
    return (x * w).sum(axis=1) / n.reshape((-1,) + (1,) * (x.ndim - 2))


def smoothed_log(probs: np.ndarray, delta: float = DELTA) -> np.ndarray:
    """log((p + δ) / (1 + C·δ)) elementwise; C is the last axis length."""
    c = probs.shape[-1]
    out = np.add(probs, delta)
    np.log(out, out=out)
    # Near p = 1, log(p + δ) loses the δ-sized signal to rounding; log1p((p − 1) + δ) keeps
    # it (p − 1 is exact there). At most one option per distribution can exceed 1/2.
    top = probs.argmax(axis=-1)[..., None]
    p_top = np.take_along_axis(probs, top, axis=-1)
    fixed = np.where(p_top > 0.5, np.log1p((p_top - 1.0) + delta), np.log(p_top + delta))
    np.put_along_axis(out, top, fixed, axis=-1)
    out -= np.log1p(c * delta)
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
    return kl_from_mean_log(_masked_mean(smoothed_log(p, delta), m, n), t)


def decompose_brier(
    probs: object, target: object, mask: object | None = None, *, validate: bool = True
) -> Decomposition:
    """Brier decomposition per question: arithmetic mean prediction, squared distances."""
    p, t, m, n = _prepare(probs, target, mask, validate)
    q_idx = np.arange(p.shape[0])
    p_hat = _masked_mean(p, m, n)
    y_hat = p_hat.copy()
    y_hat[q_idx, t] -= 1.0
    bias2 = np.einsum("qc,qc->q", y_hat, y_hat)
    # Two passes (deviation from the mean, distance to the target) keep both
    # terms accurate instead of subtracting nearly equal second moments.
    dev = p - p_hat[:, None, :]
    variance = _masked_mean(np.einsum("qrc,qrc->qr", dev, dev), m, n)
    miss = p.copy()
    miss[q_idx, :, t] -= 1.0
    error = _masked_mean(np.einsum("qrc,qrc->qr", miss, miss), m, n)
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
