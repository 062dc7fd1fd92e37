"""The report's multiple-choice section: every view of METHODS.md §2a/§2c/§3 for the
multiple-choice samples of a run, however they were made (an mc sweep or an import).

Views, each beside accuracy: KL / Brier / 0-1 decompositions side by side, incoherence
against reasoning length (k equal-size question groups, optionally reusing a reference
system's grouping), the per-question median split ("overthinking"), incoherence per
reasoning budget, the ensembling curve, unparsed-answer counts, and the embedding variance
of open-ended answers.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from agentbench.analysis.types import EnsembleRow, MCSection, OpenRow, SystemInfo, ZeroOneRow
from agentbench.errors import DataError
from agentbench.metrics import (
    MetricsInputError,
    decompose_table,
    decompose_zero_one,
    embedding_variance,
    ensemble_curve,
)
from agentbench.records import ChoiceOutcome, SampleResult, SampleStatus, VectorOutcome

LOSSES = ("kl", "brier")


# ---------------------------------------------------------------- collecting


def _qid(r: SampleResult, multi_task: bool) -> str:
    return f"{r.key.task}/{r.key.instance_id}" if multi_task else r.key.instance_id


def collect(results: Iterable[SampleResult]) -> tuple[dict[str, Any], dict[str, Any], int]:
    """Split done samples into a probs table and an embeddings map; count missing ones."""
    rs = list(results)
    tasks = {r.key.task for r in rs}
    multi = len(tasks) > 1
    table: dict[str, list[Any]] = defaultdict(list)
    vectors: dict[str, dict[str, list[tuple[int, list[float]]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    missing: dict[str, int] = defaultdict(int)
    unparsed: dict[str, int] = defaultdict(int)
    for r in rs:
        if r.status != SampleStatus.DONE:
            if r.status == SampleStatus.MISSING:
                missing[r.key.system] += 1
            continue
        o = r.outcome
        if isinstance(o, ChoiceOutcome):
            table["question"].append(_qid(r, multi))
            table["system"].append(r.key.system)
            table["seed"].append(r.key.seed)
            # NaN, not 0: a run without lengths (an import) has no length groups or halves
            table["length"].append(float(r.length) if r.length is not None else float("nan"))
            table["outcome"].append(list(o.probs))
            table["target"].append(o.target)
            unparsed[r.key.system] += 0 if o.parsed else 1
        elif isinstance(o, VectorOutcome):
            vectors[r.key.system][_qid(r, multi)].append((r.key.seed, o.vector))
    extra = {"missing": dict(missing), "unparsed": dict(unparsed)}
    return dict(table), {"vectors": vectors, **extra}, len(rs)


def _pad(table: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Questions with fewer options get probability-0 options so every row has one width."""
    width = max(len(o) for o in table["outcome"])
    table["outcome"] = [o + [0.0] * (width - len(o)) for o in table["outcome"]]
    return table


def _system_arrays(table: dict[str, list[Any]], system: str) -> tuple[np.ndarray, np.ndarray]:
    """(Q, R, C) probabilities and (Q,) targets of one system, R = the fewest unrolls."""
    by_q: dict[str, list[tuple[int, list[float]]]] = defaultdict(list)
    target: dict[str, int] = {}
    cols = (table[k] for k in ("question", "system", "seed", "outcome", "target"))
    for q, s, seed, o, t in zip(*cols, strict=True):
        if s == system:
            by_q[q].append((seed, o))
            target[q] = t
    qs = sorted(by_q)
    r = min(len(by_q[q]) for q in qs)
    probs = np.array([[o for _, o in sorted(by_q[q])[:r]] for q in qs], dtype=np.float64)
    return probs, np.array([target[q] for q in qs])


def _sizes(r: int) -> list[int]:
    out = []
    e = 1
    while r // e >= 2:
        out.append(e)
        e *= 2
    return out


def _bootstrap_mean(
    values: np.ndarray, n_boot: int, confidence: float, seed: int
) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    draws = values[rng.integers(0, len(values), (n_boot, len(values)))].mean(axis=1)
    a = (1 - confidence) / 2
    lo, hi = np.quantile(draws, [a, 1 - a])
    est = float(values.mean())
    # recentred percentile interval, as the metrics core reports
    return float(2 * est - hi), float(2 * est - lo)


# ---------------------------------------------------------------- building


def build_section(
    results: Iterable[SampleResult],
    systems: dict[str, dict[str, Any]] | None = None,
    *,
    run_dir: str = "",
    task: str | None = None,
    groups: int = 5,
    reference_system: str | None = None,
    n_boot: int = 1000,
    confidence: float = 0.9,
    seed: int = 0,
) -> MCSection:
    """Compute every view from the samples (`systems`: name → SystemConfig dump, for budgets)."""
    table, extra, n_rows = collect(results)
    if n_rows == 0:
        raise DataError("no mc samples in this run", path=run_dir or None, fix="run a sweep first")
    notes: list[str] = []
    infos: dict[str, SystemInfo] = {}
    cfgs = systems or {}

    def info(name: str) -> SystemInfo:
        if name not in infos:
            m = (cfgs.get(name) or {}).get("model") or {}
            infos[name] = SystemInfo(
                name=name,
                model=str(m.get("name", "")),
                reasoning_budget=m.get("reasoning_budget"),
                reasoning_effort=m.get("reasoning_effort"),
                n_missing=extra["missing"].get(name, 0),
            )
        return infos[name]

    rows: dict[str, list[dict[str, Any]]] = {}
    zero_one: list[ZeroOneRow] = []
    ensemble: list[EnsembleRow] = []
    k_used: int | None = None
    if table:
        table = _pad(table)
        names = sorted(set(table["system"]))
        for s in names:
            i = info(s)
            i.n_unrolls = sum(1 for x in table["system"] if x == s)
            i.n_unparsed = extra["unparsed"].get(s, 0)
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for q, s in zip(table["question"], table["system"], strict=True):
            counts[s][q] += 1
        n_q = min(len(counts[s]) for s in names)
        min_r = min(min(counts[s].values()) for s in names)
        k_used = min(groups, n_q) if groups and n_q >= 2 else None
        if reference_system is not None and reference_system not in names:
            # the builder checked it names a system of the run: one without mc samples
            notes.append(f"reference system {reference_system!r} has no mc samples: "
                         "each system is grouped by its own lengths")  # fmt: skip
            reference_system = None
        halves = min_r >= 4
        if not halves:
            notes.append("median split skipped: it needs at least 4 unrolls per question")
        for loss in LOSSES:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    rows[loss] = decompose_table(
                        table, kind="probs", loss=loss, groups=k_used,
                        reference_system=reference_system if k_used else None,
                        median_halves=halves, n_boot=n_boot, confidence=confidence, seed=seed,
                    )  # fmt: skip
                except MetricsInputError as exc:
                    raise DataError(str(exc), path=run_dir or None, fix="check the run") from None
            for w in caught:
                msg = str(w.message)
                if msg not in notes:
                    notes.append(msg)
        for s in names:
            probs, target = _system_arrays(table, s)
            zo = decompose_zero_one(probs, target)
            zero_one.append(
                ZeroOneRow(system=s, bias=float(zo.bias.mean()), variance=float(zo.variance.mean()))
            )
            for loss in LOSSES:
                sizes = _sizes(probs.shape[1])
                if not sizes:
                    continue
                ensemble += [EnsembleRow(system=s, loss=loss, **asdict(p))
                             for p in ensemble_curve(probs, target, sizes, loss=loss, seed=seed)]  # fmt: skip
            all_row = MCSection(rows=rows).row("kl", s)
            infos[s].n_questions = int(all_row["n_questions"])
            infos[s].accuracy = float(all_row["accuracy"])
            infos[s].mean_length = float(all_row["mean_length"])
    open_rows = _open_rows(extra["vectors"], info, n_boot, confidence, seed)
    return MCSection(
        task=task,
        systems=[infos[k] for k in sorted(infos)],
        groups=k_used,
        reference_system=reference_system,
        rows=rows,
        zero_one=zero_one,
        ensemble=ensemble,
        open=open_rows,
        notes=notes,
    )


def _open_rows(
    vectors: dict[str, dict[str, list[tuple[int, list[float]]]]],
    info: Any,
    n_boot: int,
    confidence: float,
    seed: int,
) -> list[OpenRow]:
    out = []
    for s in sorted(vectors):
        by_q = vectors[s]
        qs = sorted(by_q)
        r_max = max(len(by_q[q]) for q in qs)
        dim = len(by_q[qs[0]][0][1])
        emb = np.zeros((len(qs), r_max, dim))
        mask = np.zeros((len(qs), r_max), dtype=bool)
        for i, q in enumerate(qs):
            vs = [v for _, v in sorted(by_q[q])]
            emb[i, : len(vs)] = vs
            mask[i, : len(vs)] = True
        try:
            var = embedding_variance(emb, mask)
        except MetricsInputError as exc:
            raise DataError(f"open-ended answers of {s!r}: {exc}", fix="run more seeds") from None
        lo, hi = _bootstrap_mean(var, n_boot, confidence, seed)
        i = info(s)
        i.n_questions = len(qs)
        i.n_unrolls = int(mask.sum())
        out.append(
            OpenRow(
                system=s,
                n_questions=len(qs),
                n_unrolls=int(mask.sum()),
                variance=float(var.mean()),
                variance_low=lo,
                variance_high=hi,
                per_question={q: float(v) for q, v in zip(qs, var, strict=True)},
            )
        )
    return out


def mc_section(run_dir: str | Path, *, task: str | None = None, **options: Any) -> MCSection | None:
    """The section of a run folder's mc samples (`task` picks one task; `options` are
    build_section's); None when the run has no multiple-choice task."""
    from agentbench.store.runstore import RunStore

    with RunStore.open(run_dir) as store:
        specs = store.tasks()
        # sweep mc tasks, and imported tasks whose outcomes are multiple choice
        mc_tasks = [
            n for n, sp in specs.items() if sp.get("kind") == "mc" or sp.get("outcome") == "choice"
        ]
        if task is not None and task not in mc_tasks:
            raise DataError(
                f"task {task!r} is not an mc task of this run",
                path=str(run_dir),
                field="--task",
                fix=f"use one of {', '.join(mc_tasks) or '(none)'}",
            )
        chosen = [task] if task else mc_tasks
        if not chosen:
            return None
        results = [r for t in chosen for r in store.iter_results(task=t, order="cell")]
        systems = {row.name: row.config.model_dump(mode="json") for row in store.systems()}
    return build_section(results, systems, run_dir=str(run_dir), task=task, **options)
