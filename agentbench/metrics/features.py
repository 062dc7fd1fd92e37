"""Per-unroll sufficient statistics for each outcome kind, so that one bootstrap serves all.

Each kind reduces to: a feature tensor F (questions, unrolls, K) whose (weighted) mean
over unrolls, plus optionally one quadratic form wᵀGw in the unroll weights, determines
the per-question bias², variance and error through `finish`. Resampling unrolls then
only re-weights F (and G), which vectorises over bootstrap draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from agentbench.metrics import categorical as cat
from agentbench.metrics._checks import as_float_array, check_min_unrolls, unroll_mask
from agentbench.metrics.continuous import _metric
from agentbench.metrics.exceptions import MetricsInputError
from agentbench.metrics.testvectors import RaggedTests, as_ragged

Stats = dict[str, np.ndarray]
Finish = Callable[[np.ndarray, dict[str, np.ndarray]], Stats]


@dataclass(frozen=True, eq=False)
class FeatureModel:
    """Features (Q, R, K), valid-unroll mask (Q, R), per-question context and a finish rule."""

    features: np.ndarray
    mask: np.ndarray
    context: dict[str, np.ndarray]
    finish: Finish
    has_accuracy: bool = True
    meta: dict[str, object] = field(default_factory=dict)
    # Optional per-question (R, R) matrix G: stats() then appends wᵀGw / (Σw)² to the
    # means, for statistics that are quadratic in the unroll weights.
    gram: np.ndarray | None = None

    @property
    def n_questions(self) -> int:
        """Number of questions."""
        return int(self.features.shape[0])

    @property
    def n_unrolls(self) -> np.ndarray:
        """(Q,) valid unrolls per question."""
        return self.mask.sum(axis=1)

    def subset(self, index: object) -> FeatureModel:
        """The questions at `index`, in that order."""
        idx = np.asarray(index, dtype=np.int64).reshape(-1)
        return FeatureModel(
            features=self.features[idx],
            mask=self.mask[idx],
            context={k: v[idx] for k, v in self.context.items()},
            finish=self.finish,
            has_accuracy=self.has_accuracy,
            meta=self.meta,
            gram=None if self.gram is None else self.gram[idx],
        )

    def with_mask(self, mask: np.ndarray) -> FeatureModel:
        """The same questions with only the unrolls where `mask` (Q, R) is True."""
        return FeatureModel(
            features=self.features,
            mask=self.mask & mask,
            context=self.context,
            finish=self.finish,
            has_accuracy=self.has_accuracy,
            meta=self.meta,
            gram=self.gram,
        )

    def stats(self, weights: np.ndarray | None = None) -> Stats:
        """Per-question stats; `weights` (b, Q, R) re-weight unrolls (default: the mask)."""
        w = self.mask if weights is None else weights
        wq = np.moveaxis(np.asarray(w, dtype=self.features.dtype), -2, 0)  # (Q, [b,] R)
        if wq.ndim == 2:
            wq = wq[:, None, :]
        # Σw per row as a matrix-vector product: numpy's reduction over a short last
        # axis is several times slower than BLAS here.
        n = np.moveaxis(np.matmul(wq, np.ones(wq.shape[-1])), 0, -1)  # (b, Q)
        # (Q, b, R) @ (Q, R, K): one small matrix product per question.
        means = np.moveaxis(np.matmul(wq, self.features), 0, -2) / n[..., None]
        if self.gram is not None:
            quad = (np.matmul(wq, self.gram) * wq).sum(axis=-1)  # (Q, b): wᵀ G w
            means = np.concatenate([means, (np.moveaxis(quad, 0, -1) / n**2)[..., None]], -1)
        if weights is None:
            means = means[0]
        return self.finish(means.astype(np.float64, copy=False), self.context)


def _tests_finish(means: np.ndarray, ctx: dict[str, np.ndarray]) -> Stats:
    # means: [mean_j ȳ_j, resolved rate, mean_j ȳ_j²] per question (the last via the Gram form).
    pass_rate, resolved, sq = means[..., 0], means[..., 1], means[..., 2]
    error = 1.0 - pass_rate
    variance = pass_rate - sq  # mean_j ȳ_j (1 − ȳ_j)
    # With ȳ_j = k_j / n, the exact variance is a multiple of 1 / (n² T) (≥ 1e-14 for any
    # n ≤ 10⁴ unrolls and T ≤ 10⁶ tests); anything smaller is cancellation noise of the
    # difference above, and unrolls that all agree must give exactly 0 (incoherence 0).
    variance = np.where(np.abs(variance) < 1e-14, 0.0, variance)
    return {"bias2": error - variance, "variance": variance, "error": error, "accuracy": resolved}


def _tests_columns_finish(means: np.ndarray, ctx: dict[str, np.ndarray]) -> Stats:
    # means: [mean_j ȳ_j, resolved rate, ȳ_1 .. ȳ_Tmax] (zero-padded past each T_i).
    y_bar = means[..., 2:]
    sq = np.einsum("...j,...j->...", y_bar, y_bar) / ctx["n_tests"]
    return _tests_finish(np.stack([means[..., 0], means[..., 1], sq], axis=-1), ctx)


def make_tests_model(tests: RaggedTests | list[object]) -> FeatureModel:
    """Features for binary test vectors: pass fraction and resolved flag per unroll, and ȳ².

    With unroll weights w, mean_j ȳ_j² needs either the outcome columns themselves
    (ȳ = wᵀY / Σw, O(R·T) per resample) or G = Y Yᵀ / T (wᵀGw / (Σw)², O(R²)); the
    cheaper of the two is kept, so few tests or few unrolls both stay cheap.
    """
    rt = as_ragged(tests)
    q, r_max, t_max = rt.n_instances, int(rt.n_runs.max()), int(rt.n_tests.max())
    columns = t_max <= r_max
    feats = np.zeros((q, r_max, 2 + t_max if columns else 2))
    gram = None if columns else np.zeros((q, r_max, r_max))
    for idx, block in rt.blocks():
        r, t = block.shape[1], block.shape[2]
        y = block.astype(np.float64)
        passed = y.sum(axis=2)
        feats[idx, :r, 0] = passed / t
        feats[idx, :r, 1] = passed == t
        if gram is None:
            feats[idx, :r, 2 : 2 + t] = y
        else:
            gram[idx, :r, :r] = np.matmul(y, np.swapaxes(y, 1, 2)) / t
    return FeatureModel(
        features=feats,
        mask=rt.run_mask(),
        context={"n_tests": rt.n_tests.astype(np.float64)} if columns else {},
        finish=_tests_columns_finish if columns else _tests_finish,
        meta={"kind": "tests"},
        gram=gram,
    )


def _hits(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    return (p.argmax(axis=-1) == t[:, None]).astype(np.float64)[..., None]


def _kl_finish(means: np.ndarray, ctx: dict[str, np.ndarray]) -> Stats:
    d = cat.kl_from_mean_log(means[..., :-1], ctx["target"])
    return {"bias2": d.bias2, "variance": d.variance, "error": d.error, "accuracy": means[..., -1]}


def _snap(second_moment: np.ndarray, mean_sq: np.ndarray) -> np.ndarray:
    """E‖x‖² − ‖E x‖², with cancellation noise (below float64 resolution) set to exactly 0.

    Identical unrolls must give variance 0, not ±1e-17: the difference of two nearly equal
    sums is only resolved to ~1e-16 of their size, so anything under 1e-13 of it is noise.
    """
    v = second_moment - mean_sq
    return np.where(np.abs(v) <= 1e-13 * np.abs(second_moment), 0.0, v)


def _brier_finish(means: np.ndarray, ctx: dict[str, np.ndarray]) -> Stats:
    c = means.shape[-1] - 3
    p_hat = means[..., :c]
    onehot = ctx["onehot"]
    gap = p_hat - onehot
    bias2 = np.einsum("...c,...c->...", gap, gap)
    variance = _snap(means[..., c], np.einsum("...c,...c->...", p_hat, p_hat))
    return {
        "bias2": bias2,
        "variance": variance,
        "error": means[..., c + 1],
        "accuracy": means[..., -1],
    }


def make_probs_model(
    probs: object, target: object, mask: object | None = None, *, loss: str = "kl"
) -> FeatureModel:
    """Features for categorical outcomes under the "kl" or "brier" loss."""
    p, t, m, _ = cat._prepare(probs, target, mask, True)
    mask_arr = np.ones(p.shape[:2], bool) if m is None else m
    hits = _hits(p, t)
    if loss == "kl":
        feats = np.concatenate([cat.smoothed_log(p), hits], axis=-1)
        finish: Finish = _kl_finish
        ctx = {"target": t}
    elif loss == "brier":
        onehot = np.eye(p.shape[-1])[t]
        sq = np.einsum("qrc,qrc->qr", p, p)[..., None]
        miss = p - onehot[:, None, :]
        err = np.einsum("qrc,qrc->qr", miss, miss)[..., None]
        feats = np.concatenate([p, sq, err, hits], axis=-1)
        finish = _brier_finish
        ctx = {"onehot": onehot}
    else:
        raise MetricsInputError(f"loss: {loss!r} is not one of 'kl', 'brier'")
    feats = np.where(mask_arr[..., None], feats, 0.0)
    return FeatureModel(
        features=feats,
        mask=mask_arr,
        context=ctx,
        finish=finish,
        meta={"kind": "probs", "loss": loss},
    )


def _vector_finish(means: np.ndarray, ctx: dict[str, np.ndarray]) -> Stats:
    d = ctx["target"].shape[-1]
    x_bar = means[..., :d]
    a = ctx["metric"][0]
    gap = x_bar - ctx["target"]
    bias2 = np.einsum("...i,ij,...j->...", gap, a, gap)
    variance = _snap(means[..., d], np.einsum("...i,ij,...j->...", x_bar, a, x_bar))
    error = means[..., d + 1]
    return {
        "bias2": bias2,
        "variance": variance,
        "error": error,
        "accuracy": np.full(error.shape, np.nan),
    }


def make_vector_model(
    x: object, target: object, metric: object | None = None, mask: object | None = None
) -> FeatureModel:
    """Features for continuous vectors (Q, R, d) with per-question target b (Q, d) in metric A."""
    arr = as_float_array(x, "x", 3)
    q, r, d = arr.shape
    b = as_float_array(np.broadcast_to(np.asarray(target, dtype=np.float64), (q, d)), "target", 2)
    a = _metric(metric, d)
    m = unroll_mask(mask, (q, r))
    check_min_unrolls(m.sum(axis=1), "x")
    quad = np.einsum("qri,ij,qrj->qr", arr, a, arr)[..., None]
    miss = arr - b[:, None, :]
    err = np.einsum("qri,ij,qrj->qr", miss, a, miss)[..., None]
    feats = np.where(m[..., None], np.concatenate([arr, quad, err], axis=-1), 0.0)
    ctx = {"target": b, "metric": np.broadcast_to(a, (q, d, d))}
    return FeatureModel(
        features=feats,
        mask=m,
        context=ctx,
        finish=_vector_finish,
        has_accuracy=False,
        meta={"kind": "vector"},
    )
