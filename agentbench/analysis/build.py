"""The one report builder: from a run folder's store to a `Report` (analysis.types).

Per system resolved rate (or accuracy), bias², variance and incoherence with intervals,
incoherence by length group, the short/long halves, missing samples, warnings, the paired
comparison and, for multiple-choice tasks, the KL / Brier / 0-1 section (analysis.mc).
Renderers (analysis.terminal, analysis.html, analysis.write) only read the result.
"""

from __future__ import annotations

import math
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from agentbench.analysis.arrange import Arranged, arrange, compact
from agentbench.analysis.cells import Boot, cell_of, check_boot
from agentbench.analysis.compare import compare_runs
from agentbench.analysis.fmt import num
from agentbench.analysis.load import RunData, load_run
from agentbench.analysis.mc import mc_section
from agentbench.analysis.types import (
    Cell,
    Comparison,
    InstanceSeeds,
    LengthGroup,
    MissingSample,
    Report,
    SeedOutcome,
    SystemReport,
)
from agentbench.config import SystemConfig
from agentbench.errors import ConfigError, DataError
from agentbench.logging import get_logger
from agentbench.metrics import (
    MIN_UNROLLS,
    LengthGrouping,
    MetricsInputError,
    group_by_length,
    median_split,
)
from agentbench.store.schema import CHOICE, TESTS, VECTOR

log = get_logger(__name__)

MAX_LISTED_MISSING = 500  # the report lists this many missing samples; counts cover all


def seed_outcomes(data: RunData, labels: dict[str, str]) -> list[InstanceSeeds]:
    """Per (system, instance) the finished test unrolls in seed order, as pass strings."""
    s = data.by_kind.get(TESTS)
    if s is None:
        return []
    cells: dict[tuple[str, str], list[SeedOutcome]] = {}
    for i in np.lexsort((s.seed, s.question, s.system_hash)):
        key = (labels.get(s.system_hash[i], s.system_hash[i]), str(s.question[i]))
        bits = "".join("1" if v >= 0.5 else "0" for v in s.outcome[i])
        cells.setdefault(key, []).append(
            SeedOutcome(seed=int(s.seed[i]), passed=bits, n_actions=float(s.length[i]))
        )
    return [
        InstanceSeeds(system=k[0], instance_id=k[1], seeds=v)
        for k, v in sorted(cells.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]


def _comparison(run_dir: str | Path, boot: Boot, n_systems: int) -> Comparison | None:
    """The paired comparison of the run's systems (first is the baseline), or None."""
    if n_systems < 2:
        return None
    try:
        comps = compare_runs(
            [run_dir], n_boot=boot.n_boot, confidence=boot.confidence, seed=boot.seed,
            nested=boot.nested,
        )  # fmt: skip
    except DataError:  # systems over disjoint instances: nothing to pair, the rest stands
        return None
    tests = [c for c in comps if c.kind == TESTS] or comps
    return tests[0] if tests else None


def describe(cfg: SystemConfig) -> str:
    """One line naming what makes the system: model, temperature, scaffold, step limit."""
    m = cfg.model
    parts = [f"{m.provider}:{m.name}"]
    if m.temperature is not None:
        parts.append(f"T={m.temperature:g}")
    if m.reasoning_effort or m.reasoning_budget:
        parts.append(f"reasoning={m.reasoning_effort or m.reasoning_budget}")
    parts.append(f"scaffold {cfg.scaffold}")
    parts.append(f"≤{cfg.limits.max_steps} steps")
    return " · ".join(parts)


def _reason(error: str) -> str:
    """The reason class of an infra failure: InfraError messages read 'reason: detail'."""
    head = error.split(":", 1)[0].strip()
    return head if head and len(head) <= 40 else "other"


def _labels(data: RunData) -> dict[str, str]:
    """System hash -> display name; a name shared by two configs gets its hash appended."""
    names = {s.hash: s.name for s in data.systems}
    seen = Counter(names.values())
    out = {h: (n if seen[n] == 1 else f"{n}@{h[:7]}") for h, n in names.items()}
    for h in data.status_counts:
        out.setdefault(h, h[:12])  # samples of a system the store never registered
    return out


def length_grouping(a: Arranged, k: int) -> LengthGrouping:
    """k equal-size groups of the arranged questions by their mean length (METHODS.md §3)."""
    mean_len = np.nanmean(a.lengths, axis=1)
    return group_by_length(a.question_ids, mean_len, min(k, len(a.question_ids)))


def _groups_for(a: Arranged, k: int, ref: LengthGrouping | None) -> LengthGrouping:
    """This system's grouping: its own, or the reference's (by question, else by edges)."""
    if ref is None:
        return length_grouping(a, k)
    mean_len = np.nanmean(a.lengths, axis=1)
    mode = "questions" if all(q in ref.assignment for q in a.question_ids) else "edges"
    return group_by_length(a.question_ids, mean_len, ref.k, reference=ref, mode=mode)


def _halves(a: Arranged, boot: Boot) -> tuple[Cell | None, Cell | None]:
    """Short and long halves of every question with >= 4 unrolls (per-question median split)."""
    ok = np.flatnonzero(a.model.n_unrolls >= 4)
    if ok.size == 0:
        return None, None
    model = a.model.subset(ok)
    lengths = a.lengths[ok]
    split = median_split(np.nan_to_num(lengths), model.mask)
    out = []
    for h in (0, 1):
        m, lens = compact(model, split == h, lengths)
        out.append(cell_of(m, lens, boot, detail=True))
    return out[0], out[1]


def build_report(
    run_dir: str | Path,
    *,
    groups: int = 5,
    reference_system: str | None = None,
    n_boot: int = 1000,
    detail_boot: int = 200,
    confidence: float = 0.9,
    seed: int = 0,
    nested: bool = True,
    task: str | None = None,
) -> Report:
    """Compute the report of a run folder (no files written).

    `n_boot` bootstrap draws for each system's headline numbers, `detail_boot` for each
    length group and half (they are many; fewer draws keep a 100k-sample report fast).
    `groups=0` draws no length groups; `task` limits the multiple-choice section to one task.
    """
    # fields are the CLI's option names: that is where a user typed these
    if groups < 0:
        raise ConfigError(f"groups={groups} must be at least 0", field="--groups",
                          fix="pass 0 (no length groups) or more")  # fmt: skip
    check_boot({"--boot": n_boot, "--detail-boot": detail_boot}, confidence)
    boot = Boot(n_boot, detail_boot, confidence, seed, nested)
    data = load_run(run_dir)
    labels = _labels(data)
    if reference_system is not None and reference_system not in labels.values():
        hashes = [h for h in labels if h.startswith(reference_system)]
        if len(hashes) != 1:
            raise ConfigError(
                f"reference system {reference_system!r} is not in this run",
                path=str(run_dir),
                field="reference_system",
                fix=f"pick one of {', '.join(sorted(labels.values()))}",
            )
        reference_system = labels[hashes[0]]
    notes: list[str] = []
    systems: list[SystemReport] = []
    t0 = time.perf_counter()
    mc = None
    if CHOICE in data.by_kind or VECTOR in data.by_kind or task is not None:
        mc = mc_section(run_dir, task=task, groups=groups, reference_system=reference_system,
                        n_boot=n_boot, confidence=confidence, seed=seed)  # fmt: skip
    for kind, samples in data.by_kind.items():
        if kind == VECTOR:
            if mc is None or not mc.open:
                notes.append(
                    f"{len(samples.seed)} samples with continuous (vector) outcomes are not "
                    "decomposed here: they carry no target in the store"
                )
            continue
        arranged: dict[str, Arranged] = {}
        for h in sorted(set(samples.system_hash.tolist()), key=lambda x: labels.get(x, x)):
            rows = np.flatnonzero(samples.system_hash == h)
            a = arrange(samples, rows)
            if a is None:
                notes.append(
                    f"system {labels.get(h, h)}: no instance has 2 or more finished {kind} "
                    "unrolls; nothing to decompose"
                )
                continue
            arranged[h] = a
        ref = None
        if reference_system is not None and groups:
            rh = [h for h in arranged if labels[h] == reference_system]
            if rh:
                ref = length_grouping(arranged[rh[0]], groups)
        for h, a in arranged.items():
            systems.append(_system_report(data, labels[h], h, kind, a, groups, ref, boot, notes))
    log.debug("report built", run=str(run_dir), systems=len(systems), s=time.perf_counter() - t0)
    if not data.by_kind and data.n_samples == 0:
        notes.append("the run store holds no samples yet")
    by_reason = Counter(_reason(m.error) for m in data.missing)
    missing = [
        MissingSample(
            system=labels.get(m.system_hash, m.system_hash),
            task=m.task,
            instance_id=m.instance_id,
            seed=m.seed,
            attempts=m.attempts,
            reason=m.error,
        )
        for m in sorted(data.missing, key=lambda m: (m.system_hash, m.instance_id, m.seed))
    ]
    if missing:
        notes.append(
            f"{len(missing)} samples are MISSING (infrastructure failures, excluded from "
            "every statistic): " + ", ".join(f"{r} {n}" for r, n in by_reason.most_common())
        )
    return Report(
        run_dir=str(Path(run_dir)),
        generated_at=time.time(),
        n_samples=data.n_samples,
        confidence=confidence,
        n_boot=n_boot,
        detail_boot=detail_boot,
        nested=nested,
        n_groups=groups,
        reference_system=reference_system,
        systems=systems,
        missing=missing[:MAX_LISTED_MISSING],
        n_missing=len(missing),
        missing_by_reason=dict(by_reason.most_common()),
        warnings=notes,
        seed_outcomes=seed_outcomes(data, labels),
        comparison=_comparison(run_dir, boot, len(systems)),
        mc=mc,
    )


def _system_report(
    data: RunData,
    label: str,
    h: str,
    kind: str,
    a: Arranged,
    k: int,
    ref: LengthGrouping | None,
    boot: Boot,
    notes: list[str],
) -> SystemReport:
    counts = data.status_counts.get(h, {})
    with warnings.catch_warnings():
        # the report states these conditions itself, once per system, below
        warnings.simplefilter("ignore")
        overall = cell_of(a.model, a.lengths, boot)
        groups: list[LengthGroup] = []
        g = None
        known = a.lengths[np.isfinite(a.lengths)]
        # one length for every unroll (an import without lengths): groups would only be
        # question order, so there are none
        flat = known.size == 0 or float(known.min()) == float(known.max())
        if flat and k:
            notes.append(
                f"system {label}: every unroll has the same length "
                f"({num(float(known[0])) if known.size else 'none'}), so there are no length "
                "groups or halves"
            )
        try:
            g = _groups_for(a, k, ref) if k and not flat else None
        except MetricsInputError as exc:
            notes.append(f"system {label}: no length groups ({exc})")
        if g is not None:
            labels = g.groups_of(a.question_ids)
            mean_len = np.nanmean(a.lengths, axis=1)
            for gi in range(g.k):
                idx = np.flatnonzero(labels == gi)
                if idx.size == 0:
                    continue
                cell = cell_of(a.model.subset(idx), a.lengths[idx], boot, detail=True)
                groups.append(
                    LengthGroup(
                        group=gi,
                        min_length=float(mean_len[idx].min()),
                        max_length=float(mean_len[idx].max()),
                        cell=cell,
                    )
                )
        short, long_ = (None, None) if flat else _halves(a, boot)
    few = int((a.model.n_unrolls < MIN_UNROLLS).sum())
    if few:
        notes.append(
            f"system {label}: {few} of {a.model.n_questions} instances have fewer than "
            f"{MIN_UNROLLS} finished unrolls (min {int(a.model.n_unrolls.min())}); estimates "
            "are unsettled below that (METHODS.md §4)"
        )
    if a.dropped:
        notes.append(
            f'system {label}: {len(a.dropped)} instances left out (listed under "Instances left out")'
        )
    if not math.isfinite(overall.incoherence.estimate):
        notes.append(f"system {label}: no errors at all, so incoherence is undefined (NaN)")
    pending = counts.get("pending", 0) + counts.get("running", 0)
    if pending:
        notes.append(f"system {label}: {pending} samples are still pending or running")
    cfg = next((s.config for s in data.systems if s.hash == h), None)
    return SystemReport(
        system=label,
        system_hash=h,
        description="" if cfg is None else describe(cfg),
        kind="tests" if kind == TESTS else "choice",
        n_samples=sum(counts.values()),
        n_done=counts.get("done", 0),
        n_missing=counts.get("missing", 0),
        n_pending=pending,
        overall=overall,
        groups=groups,
        short_half=short,
        long_half=long_,
        n_instances_few_seeds=few,
        dropped=a.dropped,
    )
