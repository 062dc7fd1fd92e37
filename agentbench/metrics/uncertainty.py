"""Bootstrap intervals (questions, nested unrolls), paired differences, pass@k and pass^k."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agentbench.metrics.exceptions import MetricsInputError
from agentbench.metrics.features import FeatureModel
from agentbench.metrics.incoherence import incoherence, ratio_of_sums

STATS = ("bias2", "variance", "error", "incoherence", "accuracy")
_CHUNK_ELEMENTS = 4_000_000  # bounds the (draws, questions, features) block in memory


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided bootstrap interval."""

    estimate: float
    low: float
    high: float

    def covers(self, value: float) -> bool:
        """True when `value` lies inside [low, high]."""
        return bool(self.low <= value <= self.high)


@dataclass(frozen=True)
class BootstrapResult:
    """Intervals per statistic (means per question; incoherence as a ratio) and raw draws."""

    intervals: dict[str, Interval]
    draws: dict[str, np.ndarray]
    confidence: float
    n_boot: int


def _question_draws(rng: np.random.Generator, n_q: int, n_boot: int) -> np.ndarray:
    """(B, Q) multiplicity of each question in each resample of the question set."""
    return rng.multinomial(n_q, np.full(n_q, 1.0 / n_q), size=n_boot).astype(np.float64)


def _unroll_weights(rng: np.random.Generator, mask: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """(b, Q, R) multiplicities of unrolls resampled with replacement within each question.

    Only the (draw, question) pairs where `rows` (b, Q) is True are resampled: a question
    left out of a draw's question resample contributes nothing, so drawing its unrolls
    would only burn time. The other rows get the mask as placeholder weights (any valid
    weights do; they keep the statistics finite and are multiplied by zero).
    """
    n_draws, n_q = rows.shape
    r_max = mask.shape[1]
    counts = np.empty((n_draws, n_q, r_max))
    counts[...] = mask
    flat = counts.reshape(-1, r_max)
    pairs = np.flatnonzero(rows)
    q_of = pairs % n_q
    flat[pairs] = 0.0
    n = mask.sum(axis=1)
    high = int(n[0]) if np.all(n == n[0]) else n[q_of][:, None]
    pick = rng.integers(0, high, size=(pairs.size, r_max))
    first_n = np.arange(r_max) < n[:, None]
    if not np.array_equal(mask, first_n):  # map draw k to the k-th valid unroll
        valid_first = np.argsort(~mask, axis=1, kind="stable")
        pick = np.take_along_axis(valid_first[q_of], pick, axis=1)
    pick += pairs[:, None] * r_max
    if not first_n.all():  # each question draws only as many unrolls as it has
        pick = pick[first_n[q_of]]
    np.add.at(counts.reshape(-1), pick.ravel(), 1.0)
    return counts


def _totals(
    model: FeatureModel, q_draws: np.ndarray, rng: np.random.Generator, nested: bool
) -> dict[str, np.ndarray]:
    """(B,) question-weighted sums of each per-question stat under the resampling draws."""
    n_boot, n_q = q_draws.shape
    per_draw = n_q * max(1, model.features.shape[1] + model.features.shape[2])
    chunk = max(1, _CHUNK_ELEMENTS // per_draw)
    out = {k: np.empty(n_boot) for k in ("bias2", "variance", "error", "accuracy")}
    for lo in range(0, n_boot, chunk):
        hi = min(n_boot, lo + chunk)
        if nested:
            stats = model.stats(_unroll_weights(rng, model.mask, q_draws[lo:hi] > 0))
        else:
            stats = {k: np.broadcast_to(v, (hi - lo, n_q)) for k, v in model.stats().items()}
        for k in out:
            out[k][lo:hi] = np.einsum("bq,bq->b", q_draws[lo:hi], stats[k])
    return out


def _summaries(totals: dict[str, np.ndarray], n_q: int) -> dict[str, np.ndarray]:
    """Per-question means and the incoherence ratio from question-weighted totals."""
    res = {k: totals[k] / n_q for k in ("bias2", "variance", "error", "accuracy")}
    res["incoherence"] = ratio_of_sums(totals["variance"][:, None], totals["error"][:, None])
    return res


def _point(model: FeatureModel) -> dict[str, float]:
    """Plug-in estimates on the data; incoherence warns (and is NaN) when Σ error is 0."""
    stats = model.stats()
    q = model.n_questions
    out = {k: float(stats[k].sum()) / q for k in ("bias2", "variance", "error", "accuracy")}
    out["incoherence"] = incoherence(stats["variance"], stats["error"])
    return out


def _interval(estimate: float, draws: np.ndarray, confidence: float, recentre: bool) -> Interval:
    alpha = (1.0 - confidence) / 2.0
    ok = draws[np.isfinite(draws)]
    if ok.size == 0 or not np.isfinite(estimate):
        return Interval(estimate, float("nan"), float("nan"))
    lo, hi, mid = np.quantile(ok, [alpha, 1.0 - alpha, 0.5])
    # Resampling unrolls with replacement shrinks the plug-in variance by a further
    # (R-1)/R, shifting every draw; recentring the percentile interval on the estimate
    # removes that artefact of the resampling (checked by the coverage test).
    shift = estimate - mid if recentre else 0.0
    return Interval(estimate, float(lo + shift), float(hi + shift))


def _check(confidence: float, n_boot: int) -> None:
    if not 0.0 < confidence < 1.0:
        raise MetricsInputError(f"confidence: {confidence} must lie strictly between 0 and 1")
    if n_boot < 10:
        raise MetricsInputError(
            f"n_boot: {n_boot} draws are too few; use at least 10 (1000 is usual)"
        )


def bootstrap(
    model: FeatureModel,
    *,
    n_boot: int = 1000,
    confidence: float = 0.9,
    seed: int | np.random.Generator = 0,
    nested: bool = True,
    recentre: bool = True,
) -> BootstrapResult:
    """Percentile intervals from resampling questions and, nested, unrolls within each question.

    Estimates are the plug-in values on the data; bias², variance, error and accuracy
    are means per question, incoherence the ratio of sums. With `recentre` the interval
    is shifted so that the median draw sits on the estimate.
    """
    _check(confidence, n_boot)
    rng = np.random.default_rng(seed)
    q_draws = _question_draws(rng, model.n_questions, n_boot)
    draws = _summaries(_totals(model, q_draws, rng, nested), model.n_questions)
    point = _point(model)
    intervals = {k: _interval(point[k], draws[k], confidence, recentre) for k in STATS}
    return BootstrapResult(intervals=intervals, draws=draws, confidence=confidence, n_boot=n_boot)


def paired_bootstrap(
    model_a: FeatureModel,
    model_b: FeatureModel,
    *,
    n_boot: int = 1000,
    confidence: float = 0.9,
    seed: int | np.random.Generator = 0,
    nested: bool = True,
    recentre: bool = True,
) -> BootstrapResult:
    """Intervals of (b − a) when both systems answered the same questions in the same order.

    Both systems get the same question resample in every draw (the pairing); their
    unrolls are resampled independently, since they are different runs.
    """
    _check(confidence, n_boot)
    if model_a.n_questions != model_b.n_questions:
        raise MetricsInputError(
            f"paired comparison needs the same questions: system a has {model_a.n_questions}, "
            f"system b has {model_b.n_questions} (align both on the shared question ids)"
        )
    rng = np.random.default_rng(seed)
    n_q = model_a.n_questions
    q_draws = _question_draws(rng, n_q, n_boot)
    da = _summaries(_totals(model_a, q_draws, rng, nested), n_q)
    db = _summaries(_totals(model_b, q_draws, rng, nested), n_q)
    pa, pb = _point(model_a), _point(model_b)
    draws = {k: db[k] - da[k] for k in STATS}
    intervals = {k: _interval(pb[k] - pa[k], draws[k], confidence, recentre) for k in STATS}
    return BootstrapResult(intervals=intervals, draws=draws, confidence=confidence, n_boot=n_boot)


def _counts(n: object, c: object, k: int) -> tuple[np.ndarray, np.ndarray]:
    n_arr = np.asarray(n, dtype=np.int64)
    c_arr = np.asarray(c, dtype=np.int64)
    if k < 1:
        raise MetricsInputError(f"k: {k} must be at least 1")
    if np.any(c_arr < 0) or np.any(c_arr > n_arr):
        raise MetricsInputError("successes: every count must lie in 0..n (the number of unrolls)")
    if np.any(n_arr < k):
        raise MetricsInputError(f"k: {k} exceeds the number of unrolls of some question")
    return np.broadcast_arrays(n_arr, c_arr)


def pass_at_k(n: object, c: object, k: int) -> np.ndarray:
    """Unbiased pass@k per question: 1 − C(n−c, k)/C(n, k), from n unrolls with c successes."""
    n_arr, c_arr = _counts(n, c, k)
    # C(n−c, k)/C(n, k) = Π_{i=0}^{k-1} (n−c−i)/(n−i); a factor hits 0 once n−c < k.
    i = np.arange(k)
    num = np.clip((n_arr - c_arr)[..., None] - i, 0, None).astype(np.float64)
    return 1.0 - np.prod(num / (n_arr[..., None] - i), axis=-1)


def pass_hat_k(n: object, c: object, k: int) -> np.ndarray:
    """Unbiased pass^k per question (all k of k tries succeed): C(c, k)/C(n, k)."""
    n_arr, c_arr = _counts(n, c, k)
    i = np.arange(k)
    num = np.clip(c_arr[..., None] - i, 0, None).astype(np.float64)
    return np.prod(num / (n_arr[..., None] - i), axis=-1)
