"""Tidy entry point: a long table (one row per unroll) to a result table (one row per group)."""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from agentbench.metrics.exceptions import FewUnrollsWarning, MetricsInputError
from agentbench.metrics.features import (
    FeatureModel,
    make_probs_model,
    make_tests_model,
    make_vector_model,
)
from agentbench.metrics.grouping import LengthGrouping, group_by_length, median_split
from agentbench.metrics.testvectors import RaggedTests
from agentbench.metrics.uncertainty import STATS, bootstrap

Kind = Literal["tests", "probs", "vector"]
MIN_UNROLLS = 30  # METHODS.md §4: global estimates settle at about 30 unrolls per question
COLUMNS = ("question", "system", "seed", "length", "outcome", "target")


@dataclass(frozen=True, eq=False)
class SystemData:
    """One system's unrolls arranged per question: ids, features model and lengths (Q, R)."""

    system: Hashable
    question_ids: list[Hashable]
    model: FeatureModel
    lengths: np.ndarray  # (Q, R), NaN where no unroll


def _columns(table: Any, names: Mapping[str, str], kind: Kind) -> dict[str, list[Any]]:
    """Read the needed columns (pandas DataFrame or mapping of sequences) as lists."""
    needed = ["question", "system", "seed", "outcome"]
    if kind in ("probs", "vector"):
        needed.append("target")
    out: dict[str, list[Any]] = {}
    available = list(table.columns) if hasattr(table, "columns") else list(table.keys())
    if names.get("length", "length") in available:
        needed.append("length")  # optional: without it there is no length grouping
    for key in needed:
        col = names.get(key, key)
        if col not in available:
            raise MetricsInputError(
                f"table: column {col!r} is missing (kind {kind!r} needs {', '.join(needed)}; "
                "rename with columns={...})"
            )
        values = table[col]
        out[key] = values.tolist() if hasattr(values, "tolist") else list(values)
    n = {len(v) for v in out.values()}
    if len(n) != 1:
        raise MetricsInputError("table: columns have different lengths")
    if "length" not in out:
        out["length"] = [float("nan")] * n.pop()
    return out


def _as_vector(value: Any, i: int, n_options: int | None) -> list[Any]:
    """Row i's outcome as a sequence; an integer answer is one-hot over n_options."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        if n_options is None or not 0 <= int(value) < n_options:
            raise MetricsInputError(
                f"table: row {i}: outcome {value!r} is an option index; pass n_options=C "
                "(and keep 0 <= index < C) or give a probability vector"
            )
        return [1.0 if k == int(value) else 0.0 for k in range(n_options)]
    if not hasattr(value, "__len__") or isinstance(value, str | bytes):
        raise MetricsInputError(
            f"table: row {i}: outcome {value!r} is not a vector (a list of probabilities or "
            "test results, or an integer option index with n_options)"
        )
    return list(value)


def _order_key(value: Any) -> tuple[int, Any]:
    """Numbers sort numerically, anything else by its string form, numbers first."""
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return (0, float(value))
    return (1, str(value))


def _arrange(
    cols: dict[str, list[Any]], kind: Kind, loss: str, metric: object | None
) -> list[SystemData]:
    """Group rows by system and question (unrolls ordered by seed) and build feature models."""
    by_sys: dict[Hashable, dict[Hashable, list[int]]] = {}
    seen: set[tuple[Hashable, Hashable, Hashable]] = set()
    for i, (s, q, seed) in enumerate(
        zip(cols["system"], cols["question"], cols["seed"], strict=True)
    ):
        key = (s, q, seed)
        if key in seen:
            raise MetricsInputError(
                f"table: row {i} repeats system {s!r}, question {q!r}, seed {seed!r}; "
                "each unroll must appear once"
            )
        seen.add(key)
        by_sys.setdefault(s, {}).setdefault(q, []).append(i)
    out = []
    for s in sorted(by_sys, key=str):
        qs = by_sys[s]
        qids = sorted(qs, key=str)
        rows = [sorted(qs[q], key=lambda i: _order_key(cols["seed"][i])) for q in qids]
        out.append(_system(s, qids, rows, cols, kind, loss, metric))
    return out


def _system(
    s: Hashable,
    qids: list[Hashable],
    rows: list[list[int]],
    cols: dict[str, list[Any]],
    kind: Kind,
    loss: str,
    metric: object | None,
) -> SystemData:
    r_max = max(len(r) for r in rows)
    lengths = np.full((len(qids), r_max), np.nan)
    for qi, rr in enumerate(rows):
        lengths[qi, : len(rr)] = [cols["length"][i] for i in rr]
    if kind == "tests":
        flat: list[Any] = []
        n_tests = []
        for qi, rr in enumerate(rows):
            widths = {len(cols["outcome"][i]) for i in rr}
            if len(widths) != 1:
                raise MetricsInputError(
                    f"table: system {s!r}, question {qids[qi]!r} has test vectors of lengths "
                    f"{sorted(widths)}; every unroll of an instance must grade the same tests"
                )
            n_tests.append(widths.pop())
            for i in rr:
                flat.extend(cols["outcome"][i])
        rt = RaggedTests.from_flat(np.asarray(flat), [len(r) for r in rows], n_tests)
        model = make_tests_model(rt)
    else:
        width = {len(cols["outcome"][i]) for rr in rows for i in rr}
        if len(width) != 1:
            raise MetricsInputError(
                f"table: system {s!r} has outcome vectors of lengths {sorted(width)}; "
                f"kind {kind!r} needs one length (pad options with probability 0)"
            )
        d = width.pop()
        x = np.zeros((len(qids), r_max, d))
        if kind == "probs":
            x[..., 0] = 1.0  # placeholder distribution in masked slots; never weighted
        mask = np.zeros((len(qids), r_max), dtype=bool)
        targets: list[Any] = []
        for qi, rr in enumerate(rows):
            tset = {repr(cols["target"][i]) for i in rr}
            if len(tset) != 1:
                raise MetricsInputError(
                    f"table: system {s!r}, question {qids[qi]!r} has different targets across unrolls"
                )
            targets.append(cols["target"][rr[0]])
            x[qi, : len(rr)] = [cols["outcome"][i] for i in rr]
            mask[qi, : len(rr)] = True
        if kind == "probs":
            model = make_probs_model(x, np.asarray(targets), mask, loss=loss)
        else:
            model = make_vector_model(x, np.asarray(targets, dtype=np.float64), metric, mask)
    return SystemData(system=s, question_ids=qids, model=model, lengths=lengths)


def build_models(
    table: Any,
    *,
    kind: Kind,
    loss: str = "kl",
    metric: object | None = None,
    columns: Mapping[str, str] | None = None,
    n_options: int | None = None,
) -> list[SystemData]:
    """Per-system feature models from a long table (for paired comparisons and custom views)."""
    if kind not in ("tests", "probs", "vector"):
        raise MetricsInputError(f"kind: {kind!r} is not one of 'tests', 'probs', 'vector'")
    cols = _columns(table, dict(columns or {}), kind)
    if not cols["question"]:
        raise MetricsInputError("table: no rows")
    cols["outcome"] = [_as_vector(v, i, n_options) for i, v in enumerate(cols["outcome"])]
    if kind == "probs":
        for i, t in enumerate(cols["target"]):
            if isinstance(t, bool) or not isinstance(t, int | np.integer):
                raise MetricsInputError(f"table: row {i}: target {t!r} is not an option index")
    return _arrange(cols, kind, loss, metric)


def _row(
    sd: SystemData,
    model: FeatureModel,
    group: str,
    half: str,
    lengths: np.ndarray,
    n_boot: int,
    confidence: float,
    seed: int,
) -> dict[str, Any]:
    res = bootstrap(model, n_boot=n_boot, confidence=confidence, seed=seed)
    n_u = model.n_unrolls
    row: dict[str, Any] = {
        "system": sd.system,
        "group": group,
        "half": half,
        "n_questions": model.n_questions,
        "n_unrolls": int(n_u.sum()),
        "min_unrolls": int(n_u.min()),
        "mean_length": float(np.nanmean(lengths)) if np.isfinite(lengths).any() else float("nan"),
    }
    for k in STATS:
        iv = res.intervals[k]
        if k == "accuracy" and not model.has_accuracy:
            row[k] = row[f"{k}_low"] = row[f"{k}_high"] = float("nan")
            continue
        row[k], row[f"{k}_low"], row[f"{k}_high"] = iv.estimate, iv.low, iv.high
    return row


def decompose_table(
    table: Any,
    *,
    kind: Kind,
    loss: str = "kl",
    metric: object | None = None,
    groups: int | LengthGrouping | None = None,
    reference_system: Hashable | None = None,
    median_halves: bool = False,
    n_boot: int = 1000,
    confidence: float = 0.9,
    seed: int = 0,
    columns: Mapping[str, str] | None = None,
    n_options: int | None = None,
) -> Any:
    """Long table (one row per unroll) to one result row per (system, group, half).

    See the module docstring of agentbench.metrics for the columns and the output. `length`
    is optional: without it (or when it is constant) length groups and halves are skipped
    with a warning. Integer outcomes are option indices, one-hot over `n_options`.
    """
    systems = build_models(
        table, kind=kind, loss=loss, metric=metric, columns=columns, n_options=n_options
    )
    if groups is not None or median_halves:
        flat = np.concatenate([sd.lengths[np.isfinite(sd.lengths)] for sd in systems])
        if flat.size == 0 or np.unique(flat).size < 2:
            warnings.warn(
                "no length column (or a constant one): length groups and halves skipped, "
                "they would only follow question order",
                UserWarning,
                stacklevel=2,
            )
            groups, median_halves, reference_system = None, False, None
    few = [sd.system for sd in systems if int(sd.model.n_unrolls.min()) < MIN_UNROLLS]
    if few:
        warnings.warn(
            f"fewer than {MIN_UNROLLS} unrolls for some question of system(s) {few}: "
            "estimates are unsettled below that (METHODS.md §4)",
            FewUnrollsWarning,
            stacklevel=2,
        )
    if reference_system is not None and not isinstance(groups, int):
        raise MetricsInputError(
            "reference_system: only used with groups=k (the number of length groups)"
        )
    ref: LengthGrouping | None = groups if isinstance(groups, LengthGrouping) else None
    if isinstance(groups, int) and reference_system is not None:
        match = [sd for sd in systems if sd.system == reference_system]
        if not match:
            raise MetricsInputError(f"reference_system: {reference_system!r} is not in the table")
        r = match[0]
        ref = group_by_length(r.question_ids, np.nanmean(r.lengths, axis=1), groups)
    rows = []
    for sd in systems:
        parts: list[tuple[str, np.ndarray]] = [("all", np.arange(len(sd.question_ids)))]
        if groups is not None:
            mean_len = np.nanmean(sd.lengths, axis=1)
            g = ref if ref is not None else group_by_length(sd.question_ids, mean_len, int(groups))
            labels = g.groups_of(sd.question_ids)
            parts += [(str(k), np.flatnonzero(labels == k)) for k in range(g.k)]
        halves: list[tuple[str, np.ndarray | None]] = [("all", None)]
        if median_halves:
            split = median_split(np.nan_to_num(sd.lengths), sd.model.mask)
            halves += [("short", split == 0), ("long", split == 1)]
        for label, idx in parts:
            if idx.size == 0:
                continue
            for half, hmask in halves:
                model = sd.model if hmask is None else sd.model.with_mask(hmask)
                model = model.subset(idx)
                if int(model.n_unrolls.min()) < 2:
                    raise MetricsInputError(
                        f"median split of system {sd.system!r}: a question has fewer than 4 unrolls"
                    )
                lens = np.where(model.mask, sd.lengths[idx], np.nan)
                rows.append(_row(sd, model, label, half, lens, n_boot, confidence, seed))
    if hasattr(table, "columns") and hasattr(table, "iloc"):
        import pandas as pd  # only when the caller already works in pandas

        return pd.DataFrame(rows)
    return rows


def question_ids_aligned(a: SystemData, b: SystemData) -> tuple[FeatureModel, FeatureModel]:
    """Both systems restricted to their shared questions, in the same order (for pairing)."""
    shared = sorted(set(a.question_ids) & set(b.question_ids), key=str)
    if not shared:
        raise MetricsInputError(f"systems {a.system!r} and {b.system!r} share no questions")
    ia = {q: i for i, q in enumerate(a.question_ids)}
    ib = {q: i for i, q in enumerate(b.question_ids)}
    return a.model.subset([ia[q] for q in shared]), b.model.subset([ib[q] for q in shared])
