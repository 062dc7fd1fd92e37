"""Multiple-choice decompositions (METHODS.md §2a): KL, Brier and 0/1, vectorised over questions.

Inputs are `probs` of shape (questions, unrolls, options), an integer `target` per
question and an optional boolean `mask` (questions, unrolls) marking valid unrolls
(missing data, e.g. an infrastructure failure, is masked out rather than imputed).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from agentbench.metrics._checks import (
    PROB_SUM_TOL,
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


_CHUNK_VALUES = 1 << 16  # values per chunk of questions: the log buffer stays in L2


def _chunks(p: np.ndarray) -> Iterator[tuple[slice, np.ndarray]]:
    """(question slice, p[slice]) for consecutive chunks of about _CHUNK_VALUES values."""
    q, r, c = p.shape
    step = max(1, _CHUNK_VALUES // (r * c))
    for lo in range(0, q, step):
        sl = slice(lo, min(q, lo + step))
        yield sl, p[sl]


def _chunk_valid(chunk: np.ndarray, ones: np.ndarray) -> bool:
    """The fast accept of check_probs on one chunk: no negative value, every row sum within tolerance."""
    sums = np.matmul(chunk, ones)  # NaN or inf anywhere in a row shows up in its sum
    return bool(
        chunk.min() >= 0 and sums.min() >= 1.0 - PROB_SUM_TOL and sums.max() <= 1.0 + PROB_SUM_TOL
    )


def _mean_log_plus_delta(
    p: np.ndarray, m: np.ndarray | None, n: np.ndarray, delta: float, validate: bool = False
) -> tuple[np.ndarray, bool]:
    """mean_r log(p + δ) per question and option, one cache-sized chunk of questions at a time.

    With `validate`, also whether every chunk passes check_probs' fast accept (unmasked
    input only): the chunk is then read from memory once for both.
    """
    # Same values as _masked_mean(log_plus_delta(p)); the chunks reuse one small buffer
    # instead of a fresh array the size of `p` (whose first touch alone costs milliseconds).
    q, r, c = p.shape
    out = np.empty((q, c))
    buf = np.empty(min(q, max(1, _CHUNK_VALUES // (r * c))) * r * c)
    ones = np.ones(c)
    ok = True
    for sl, chunk in _chunks(p):
        if validate and ok:
            ok = _chunk_valid(chunk, ones)
        logs = buf[: chunk.size].reshape(chunk.shape)
        np.add(chunk, delta, out=logs)
        np.log(logs, out=logs)
        if chunk.max() > 1.0 - 1e-6:  # a max is cheaper than scanning for them every time
            flat = chunk.reshape(-1)
            near_one = np.flatnonzero(flat > 1.0 - 1e-6)  # as in log_plus_delta
            logs.reshape(-1)[near_one] = np.log1p((flat[near_one] - 1.0) + delta)
        out[sl] = _masked_mean(logs, None if m is None else m[sl], n[sl])
    return out, ok


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
    # Unmasked stated probabilities are validated chunk by chunk while their logs are taken
    # (one read of the input instead of three); everything else up front.
    fused = validate and mask is None
    p, t, m, n = _prepare(probs, target, mask, validate and not fused)
    if fused:
        check_min_unrolls(n, "probs")
    if _all_zero_one(p):
        if fused:
            check_probs(p, None)
        # Letter answers: log(p + δ) takes only the values log(δ) and log1p(δ), so the mean
        # log follows from the fraction f of unrolls choosing each option, with no log per
        # unroll: (k·log1p(δ) + (n − k)·log(δ)) / n. The counts k stay exact integers, so
        # a unanimous option gets exactly log1p(δ) (a mean fraction 1 − ε would not).
        ones = np.ones(p.shape[1]) if m is None else m.astype(np.float64)[:, None, :]
        k = np.matmul(ones, p) if m is None else np.matmul(ones, p)[:, 0]
        n_col = n[:, None].astype(np.float64)
        mean_log = (k * np.log1p(delta) + (n_col - k) * np.log(delta)) / n_col
    else:
        with np.errstate(invalid="ignore", divide="ignore"):  # bad input raises just below
            mean_log, ok = _mean_log_plus_delta(p, m, n, delta, validate=fused)
        if not ok:
            check_probs(p, None)  # raises, naming the first bad unroll
    if fused:
        t = check_target(target, p.shape[0], p.shape[2])
    # The normaliser log(1 + C·δ) is a constant: subtract it after the mean (one pass less).
    mean_log -= np.log1p(p.shape[-1] * delta)
    return kl_from_mean_log(mean_log, t)


def _all_zero_one(p: np.ndarray) -> bool:
    """True when every entry is exactly 0 or 1 (one-hot answers); cheap when it is not."""
    head = p.reshape(-1)[:4096]
    if np.count_nonzero(head) != np.count_nonzero(head == 1.0):
        return False  # stated probabilities: decided on a few thousand values
    # Entries other than 0 and 1 (NaN included) are nonzero but not equal to one.
    return bool(np.count_nonzero(p) == np.count_nonzero(p == 1.0))


def _brier_moments(
    probs: object, target: object, validate: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """probs, target, unroll counts, p̂ and mean_r ‖p_r‖² with every unroll valid.

    One cache-sized chunk of questions at a time, validation included: each chunk is
    read from memory once instead of once per pass. The checks run in the order of
    `_prepare`, and a failing chunk hands over to check_probs for the message.
    """
    p, t, _, n = _prepare(probs, target, None, False)
    if validate:
        check_min_unrolls(n, "probs")
    q, r, c = p.shape
    ones, w = np.ones(c), np.full(r, 1.0 / r)
    p_hat, second = np.empty((q, c)), np.empty(q)
    ok = True
    for sl, chunk in _chunks(p):
        if validate and ok:
            ok = _chunk_valid(chunk, ones)
        p_hat[sl] = np.matmul(w, chunk)
        flat = chunk.reshape(chunk.shape[0], r * c)
        second[sl] = np.einsum("ij,ij->i", flat, flat) / r
    if validate:
        if not ok:
            check_probs(p, None)  # raises, naming the first bad unroll
        t = check_target(target, q, c)
    return p, t, n, p_hat, second


def decompose_brier(
    probs: object, target: object, mask: object | None = None, *, validate: bool = True
) -> Decomposition:
    """Brier decomposition per question: arithmetic mean prediction, squared distances."""
    if mask is None:
        p, t, n, p_hat, second = _brier_moments(probs, target, validate)
        m = None
    else:
        p, t, m, n = _prepare(probs, target, mask, validate)
        p_hat = _masked_mean(p, m, n)
        second = None
    q_idx = np.arange(p.shape[0])
    gap = p_hat.copy()
    gap[q_idx, t] -= 1.0
    bias2 = last_axis_sum(gap * gap)
    # Rows flattened to (Q, R·C) so each pass is contiguous and vectorised. Variance from
    # the second moment (one pass), recomputed from deviations (two passes) for the
    # questions where that subtraction cancelled most digits (near-identical unrolls).
    q, r, c = p.shape
    flat = p.reshape(q, r * c)
    w = None if m is None else np.repeat(m, c, axis=1)  # masked unrolls drop out of sums
    if second is None:
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
