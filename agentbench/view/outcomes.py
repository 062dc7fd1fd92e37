"""One instance's seeds as an outcome table, and its bias², variance and incoherence."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from agentbench.metrics import decompose_kl, decompose_tests
from agentbench.records import ChoiceOutcome, SampleResult, SampleStatus, TestOutcome


@dataclass(frozen=True)
class Column:
    """One graded test (or option) of the instance."""

    name: str
    short: str
    kind: str  # "f2p", "p2p", "option" or "other"


@dataclass(frozen=True)
class SeedRow:
    """One seed: its sample and one cell per column (True pass, False fail, None not graded)."""

    result: SampleResult
    cells: list[bool | None]
    probs: list[float] | None = None  # multiple choice: the distribution


@dataclass(frozen=True)
class InstanceStats:
    """Per-instance decomposition (METHODS.md §2) over the finished seeds."""

    n_done: int
    n_missing: int
    n_other: int
    bias2: float = math.nan
    variance: float = math.nan
    error: float = math.nan
    resolved: float = math.nan
    note: str = ""

    @property
    def incoherence(self) -> float:
        """variance / error; NaN when there is no error (or no data)."""
        if not self.error > 0:
            return math.nan
        return self.variance / self.error


@dataclass(frozen=True)
class InstanceTable:
    """Columns, one row per seed, and the instance's statistics."""

    kind: str  # "tests", "choice", "vector" or "none"
    columns: list[Column]
    rows: list[SeedRow]
    stats: InstanceStats
    pass_rate: list[float | None] = field(default_factory=list)


def _short(test: str) -> str:
    """The test's own name without its module path (full name goes in a tooltip)."""
    return test.rsplit("::", 1)[-1].rsplit(".", 1)[-1][:40]


def _tests_table(results: list[SampleResult]) -> InstanceTable:
    names: list[str] = []
    kinds: dict[str, str] = {}
    for r in results:
        o = r.outcome
        if isinstance(o, TestOutcome):
            f2p = set(o.fail_to_pass)
            p2p = set(o.pass_to_pass)
            for t in o.tests:
                if t not in kinds:
                    names.append(t)
                    kinds[t] = "f2p" if t in f2p else "p2p" if t in p2p else "other"
    # FAIL_TO_PASS first, as graded
    names.sort(key=lambda t: {"f2p": 0, "p2p": 1}.get(kinds[t], 2))
    pos = {t: j for j, t in enumerate(names)}
    rows: list[SeedRow] = []
    graded: list[list[bool | None]] = []
    for r in results:
        cells: list[bool | None] = [None] * len(names)
        if isinstance(r.outcome, TestOutcome) and r.status == SampleStatus.DONE:
            for t, p in zip(r.outcome.tests, r.outcome.passed, strict=False):
                cells[pos[t]] = bool(p)
            graded.append(cells)
        rows.append(SeedRow(result=r, cells=cells))
    columns = [Column(name=t, short=_short(t), kind=kinds[t]) for t in names]
    pass_rate: list[float | None] = []
    for j in range(len(names)):
        vals = [c[j] for c in graded if c[j] is not None]
        pass_rate.append(sum(vals) / len(vals) if vals else None)
    return InstanceTable(
        kind="tests", columns=columns, rows=rows, stats=_tests_stats(results, graded),
        pass_rate=pass_rate,
    )  # fmt: skip


def _counts(results: list[SampleResult]) -> tuple[int, int, int]:
    done = sum(r.status == SampleStatus.DONE for r in results)
    missing = sum(r.status == SampleStatus.MISSING for r in results)
    return done, missing, len(results) - done - missing


def _tests_stats(results: list[SampleResult], graded: list[list[bool | None]]) -> InstanceStats:
    done, missing, other = _counts(results)
    if not graded:
        return InstanceStats(done, missing, other, note="no finished seed")
    # tests graded in every finished seed; a test some seeds lack cannot be compared
    keep = [j for j in range(len(graded[0])) if all(row[j] is not None for row in graded)]
    note = ""
    if len(keep) < len(graded[0]):
        note = f"{len(graded[0]) - len(keep)} test(s) not graded in every seed are left out"
    resolved = (
        float(np.mean([all(bool(row[j]) for j in keep) for row in graded])) if keep else math.nan
    )
    if len(graded) < 2 or not keep:
        why = "needs at least 2 finished seeds" if len(graded) < 2 else "no common tests"
        return InstanceStats(done, missing, other, resolved=resolved, note=why)
    mat = np.array([[bool(row[j]) for j in keep] for row in graded], dtype=np.uint8)
    d = decompose_tests([mat])
    if not d.error[0] > 0:
        note = note or "every seed passes every test: no error, so incoherence is undefined"
    return InstanceStats(
        done, missing, other, bias2=float(d.bias2[0]), variance=float(d.variance[0]),
        error=float(d.error[0]), resolved=resolved, note=note,
    )  # fmt: skip


def _choice_table(results: list[SampleResult]) -> InstanceTable:
    n_opt = max(len(r.outcome.probs) for r in results if isinstance(r.outcome, ChoiceOutcome))
    target = next(r.outcome.target for r in results if isinstance(r.outcome, ChoiceOutcome))
    columns = [
        Column(name=chr(65 + j) if j < 26 else str(j), short=chr(65 + j) if j < 26 else str(j),
               kind="target" if j == target else "option")
        for j in range(n_opt)
    ]  # fmt: skip
    rows: list[SeedRow] = []
    probs: list[list[float]] = []
    for r in results:
        o = r.outcome
        if isinstance(o, ChoiceOutcome) and r.status == SampleStatus.DONE and len(o.probs) == n_opt:
            best = int(np.argmax(o.probs))
            cells: list[bool | None] = [None] * n_opt
            cells[best] = best == o.target
            rows.append(SeedRow(result=r, cells=cells, probs=list(o.probs)))
            probs.append(list(o.probs))
        else:
            rows.append(SeedRow(result=r, cells=[None] * n_opt))
    done, missing, other = _counts(results)
    if len(probs) < 2:
        stats = InstanceStats(done, missing, other, note="needs at least 2 finished seeds")
    else:
        d = decompose_kl(np.array([probs]), np.array([target]))
        acc = float(np.mean([int(np.argmax(p)) == target for p in probs]))
        stats = InstanceStats(
            done, missing, other, bias2=float(d.bias2[0]), variance=float(d.variance[0]),
            error=float(d.error[0]), resolved=acc, note="KL decomposition (METHODS.md §2a)",
        )  # fmt: skip
    return InstanceTable(kind="choice", columns=columns, rows=rows, stats=stats)


def instance_table(results: list[SampleResult]) -> InstanceTable:
    """The outcome table of one instance's seeds (tests, multiple choice, or none)."""
    if any(isinstance(r.outcome, TestOutcome) for r in results):
        return _tests_table(results)
    if any(isinstance(r.outcome, ChoiceOutcome) for r in results):
        return _choice_table(results)
    done, missing, other = _counts(results)
    kind = "vector" if done else "none"
    note = "no per-test outcomes to decompose" if done else "no finished seed"
    return InstanceTable(
        kind=kind, columns=[], rows=[SeedRow(result=r, cells=[]) for r in results],
        stats=InstanceStats(done, missing, other, note=note),
    )  # fmt: skip
