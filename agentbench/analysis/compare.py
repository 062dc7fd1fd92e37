"""Compare systems (from one or several runs) on the instances they all share, with paired
bootstrap intervals for the differences (METHODS.md §4: the same instance resample for both)."""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from agentbench.analysis.arrange import Arranged, arrange
from agentbench.analysis.cells import Boot, cell_of, check_boot, estimate
from agentbench.analysis.load import load_run
from agentbench.analysis.types import STAT_NAMES, ComparedSystem, Comparison, PairedDifference
from agentbench.errors import ConfigError, DataError
from agentbench.metrics import paired_bootstrap
from agentbench.store.schema import TESTS, VECTOR


def _collect(run_dirs: list[Path]) -> dict[str, list[tuple[str, str, Arranged]]]:
    """kind -> [(label, run_dir, arranged)] over every system of every run."""
    # task-qualified ids: runs holding different numbers of tasks still line up
    loaded = [load_run(rd, task_prefix=True) for rd in run_dirs]
    names = Counter(s.name for d in loaded for s in d.systems)
    out: dict[str, list[tuple[str, str, Arranged]]] = {}
    for d in loaded:
        lab = {s.hash: s.name for s in d.systems}
        for kind, samples in d.by_kind.items():
            if kind == VECTOR:
                continue
            for h in sorted(set(samples.system_hash.tolist()), key=lambda x: lab.get(x, x)):
                a = arrange(samples, np.flatnonzero(samples.system_hash == h))
                if a is None:
                    continue
                name = lab.get(h, h[:12])
                label = f"{d.run_dir.name}:{name}" if names[name] > 1 else name
                out.setdefault(kind, []).append((label, str(d.run_dir), a))
    return out


def compare_runs(
    run_dirs: list[str | Path],
    *,
    systems: list[str] | None = None,
    baseline: str | None = None,
    n_boot: int = 1000,
    confidence: float = 0.9,
    seed: int = 0,
    nested: bool = True,
) -> list[Comparison]:
    """One Comparison per outcome kind: each system vs the baseline (first system by default)."""
    dirs = [Path(p) for p in run_dirs]
    if not dirs:
        raise ConfigError("give at least one run folder", field="RUN")
    seen: dict[Path, Path] = {}
    for d in dirs:
        first = seen.setdefault(d.resolve(), d)
        if first is not d:  # the same run twice would compare each system with itself
            raise ConfigError(
                "the same run folder is given twice", path=str(d), fix="pass each run folder once"
            )
    check_boot({"--boot": n_boot}, confidence)
    boot = Boot(n_boot=n_boot, detail_boot=n_boot, confidence=confidence, seed=seed, nested=nested)
    found = _collect(dirs)
    everything = [lab for items in found.values() for lab, _, _ in items]
    wanted = set(systems or [])
    unknown = wanted - set(everything)
    if unknown:
        raise ConfigError(
            f"system(s) {', '.join(sorted(unknown))} not found",
            path=", ".join(map(str, dirs)),
            field="--system",
            fix=f"pick from {', '.join(everything) or '(no finished samples)'}",
        )
    if baseline is not None and baseline not in everything:
        raise ConfigError(
            f"baseline {baseline!r} not found",
            field="--baseline",
            fix=f"pick from {', '.join(everything)}",
        )
    out = []
    for kind, items in found.items():
        chosen = [it for it in items if not wanted or it[0] in wanted]
        if baseline is not None and any(lab == baseline for lab, _, _ in chosen):
            chosen.sort(key=lambda it: it[0] != baseline)  # baseline first, order kept
        if len(chosen) < 2:
            continue
        out.append(_compare_kind(kind, chosen, dirs, boot))
    if not out:
        raise DataError(
            "fewer than two systems with finished samples of the same outcome kind",
            path=", ".join(map(str, dirs)),
            fix="compare runs whose systems graded the same task",
        )
    return out


def _compare_kind(
    kind: str, chosen: list[tuple[str, str, Arranged]], dirs: list[Path], boot: Boot
) -> Comparison:
    shared = set(chosen[0][2].question_ids)
    for _, _, a in chosen[1:]:
        shared &= set(a.question_ids)
    if not shared:
        raise DataError(
            f"systems {', '.join(lab for lab, _, _ in chosen)} share no instance",
            path=", ".join(map(str, dirs)),
            fix="compare runs over the same instances (or pick systems with --system)",
        )
    order = sorted(shared)
    models = []
    notes = []
    for lab, _, a in chosen:
        pos = {q: i for i, q in enumerate(a.question_ids)}
        models.append(a.model.subset([pos[q] for q in order]))
        lost = len(a.question_ids) - len(order)
        if lost:
            notes.append(f"{lab}: {lost} instance(s) not shared by every system are left out")
    cells = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few unrolls / undefined incoherence: stated below
        for (lab, rd, a), m in zip(chosen, models, strict=True):
            pos = {q: i for i, q in enumerate(a.question_ids)}
            lens = a.lengths[[pos[q] for q in order]]
            cells.append(ComparedSystem(system=lab, run_dir=rd, cell=cell_of(m, lens, boot)))
        pairs = []
        base_lab = chosen[0][0]
        for (lab, _, _), m in zip(chosen[1:], models[1:], strict=True):
            res = paired_bootstrap(
                models[0],
                m,
                n_boot=boot.n_boot,
                confidence=boot.confidence,
                seed=boot.seed,
                nested=boot.nested,
            )
            diffs = {k: estimate(res.intervals[k]) for k in STAT_NAMES}
            pairs.append(
                PairedDifference(baseline=base_lab, system=lab, n_instances=len(order), **diffs)
            )
    few = [c.system for c in cells if c.cell.min_unrolls < 30]
    if few:
        notes.append(f"fewer than 30 unrolls on some instance for: {', '.join(few)} (METHODS §4)")
    return Comparison(
        runs=[str(d) for d in dirs],
        kind="tests" if kind == TESTS else "choice",
        n_shared=len(order),
        confidence=boot.confidence,
        n_boot=boot.n_boot,
        systems=cells,
        pairs=pairs,
        warnings=notes,
    )
