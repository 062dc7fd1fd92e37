"""The report's types: an estimate, a cell, a system's report, the comparison, the
multiple-choice and synthetic sections, and the report that holds them all."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import ConfigDict, Field

from agentbench.records import Record

STAT_NAMES = ("bias2", "variance", "error", "incoherence", "accuracy")


class Out(Record):
    """Base of report records: NaN (an undefined value) survives the JSON round trip."""

    model_config = ConfigDict(ser_json_inf_nan="strings")


class Estimate(Out):
    """A point estimate and its bootstrap interval (NaN when undefined)."""

    estimate: float
    low: float
    high: float

    def covers(self, value: float) -> bool:
        """True when `value` lies in [low, high]."""
        return bool(self.low <= value <= self.high)


class Cell(Out):
    """The decomposition of one set of questions and unrolls (means per question)."""

    n_questions: int
    n_unrolls: int
    min_unrolls: int
    mean_length: float
    bias2: Estimate
    variance: Estimate
    error: Estimate
    incoherence: Estimate
    accuracy: Estimate  # resolved rate (tests) or accuracy (multiple choice)


class LengthGroup(Out):
    """One of k equal-size groups of questions by mean length (0 = shortest)."""

    group: int
    min_length: float  # smallest and largest mean length of a question in the group
    max_length: float
    cell: Cell


class SystemReport(Out):
    """Everything the report says about one system on one outcome kind."""

    system: str
    system_hash: str
    description: str = ""  # model, sampling, scaffold and limits, in one line
    kind: Literal["tests", "choice"]
    n_samples: int
    n_done: int
    n_missing: int
    n_pending: int  # pending or running: the run is not finished
    overall: Cell
    groups: list[LengthGroup] = Field(default_factory=list)
    short_half: Cell | None = None
    long_half: Cell | None = None
    n_instances_few_seeds: int = 0  # instances with fewer than 30 finished unrolls
    dropped: dict[str, str] = Field(default_factory=dict)  # instance -> why it was left out

    def length_cells(self) -> list[Cell]:
        """The points of incoherence against length: one per length group, or the whole
        system as one point when every unroll has the same (known) length."""
        if self.groups:
            return [g.cell for g in self.groups]
        return [self.overall] if math.isfinite(self.overall.mean_length) else []


class MissingSample(Out):
    """A sample with no outcome (infrastructure failure) and its reason."""

    system: str
    task: str
    instance_id: str
    seed: int
    attempts: int
    reason: str


class SeedOutcome(Out):
    """One unroll of one instance: which graded tests it passes (1/0, in the store's order)."""

    seed: int
    passed: str  # e.g. "110111"
    n_actions: float


class InstanceSeeds(Out):
    """Per instance and system, the seeds' outcomes side by side."""

    system: str
    instance_id: str
    seeds: list[SeedOutcome] = Field(default_factory=list)

    @property
    def n_distinct(self) -> int:
        """How many different test vectors the seeds got."""
        return len({s.passed for s in self.seeds})


class ComparedSystem(Out):
    """One system restricted to the shared instances."""

    system: str
    run_dir: str
    cell: Cell


class PairedDifference(Out):
    """`system` minus `baseline` on the shared instances, each with a paired interval."""

    baseline: str
    system: str
    n_instances: int
    bias2: Estimate
    variance: Estimate
    error: Estimate
    incoherence: Estimate
    accuracy: Estimate  # resolved rate (tests) or accuracy (choice)

    def clear(self, name: str) -> bool:
        """True when the interval of the difference excludes 0."""
        e: Estimate = getattr(self, name)
        return bool(e.low > 0 or e.high < 0)


class Comparison(Out):
    """Systems side by side on their shared instances of one outcome kind."""

    runs: list[str]
    kind: str
    n_shared: int
    confidence: float
    n_boot: int
    systems: list[ComparedSystem] = Field(default_factory=list)
    pairs: list[PairedDifference] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class SystemInfo(Out):
    """One system of the multiple-choice section: settings and totals."""

    name: str
    model: str = ""
    reasoning_budget: int | None = None
    reasoning_effort: str | None = None
    n_questions: int = 0
    n_unrolls: int = 0
    n_unparsed: int = 0
    n_missing: int = 0
    accuracy: float = float("nan")  # mean over questions of the fraction of correct unrolls
    mean_length: float = float("nan")

    @property
    def budget_label(self) -> str | None:
        """The reasoning budget or effort this system runs at, if any."""
        if self.reasoning_budget is not None:
            return f"{self.reasoning_budget} tok"
        return self.reasoning_effort


class ZeroOneRow(Out):
    """Domingos 0/1 view of one system: mean bias and mean variance (no incoherence)."""

    system: str
    bias: float
    variance: float


class EnsembleRow(Out):
    """One point of an ensembling curve."""

    system: str
    loss: str
    size: int
    n_ensembles: int
    bias2: float
    variance: float
    error: float


class OpenRow(Out):
    """Open-ended answers of one system: embedding variance (mean over questions, interval)."""

    system: str
    n_questions: int
    n_unrolls: int
    variance: float
    variance_low: float
    variance_high: float
    per_question: dict[str, float]


class MCSection(Out):
    """The multiple-choice section: KL / Brier rows (metrics.decompose_table), 0/1, ensembles,
    budgets and open-ended answers of the run's multiple-choice tasks."""

    task: str | None = None
    systems: list[SystemInfo] = Field(default_factory=list)
    groups: int | None = None
    reference_system: str | None = None
    rows: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    zero_one: list[ZeroOneRow] = Field(default_factory=list)
    ensemble: list[EnsembleRow] = Field(default_factory=list)
    open: list[OpenRow] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    def row(self, loss: str, system: str, group: str = "all", half: str = "all") -> dict[str, Any]:
        """The decomposition row of (system, group, half) under `loss`."""
        for r in self.rows.get(loss, []):
            if r["system"] == system and r["group"] == group and r["half"] == half:
                return r
        raise KeyError((loss, system, group, half))

    def side_by_side(self) -> list[tuple[str, dict[str, Any], dict[str, Any], ZeroOneRow | None]]:
        """Per system with choice outcomes: its KL row, Brier row and 0/1 view (all questions)."""
        zo = {z.system: z for z in self.zero_one}
        return [
            (s.name, self.row("kl", s.name), self.row("brier", s.name), zo.get(s.name))
            for s in self.systems
            if any(r["system"] == s.name for r in self.rows.get("kl", []))
        ]


class Report(Out):
    """The whole report of one run folder."""

    run_dir: str
    generated_at: float
    n_samples: int = 0
    confidence: float = 0.9
    n_boot: int = 0
    detail_boot: int = 0  # draws for the length groups and halves
    nested: bool = True  # unrolls resampled within each resampled question
    n_groups: int = 0
    reference_system: str | None = None
    systems: list[SystemReport] = Field(default_factory=list)
    missing: list[MissingSample] = Field(default_factory=list)  # at most MAX_LISTED_MISSING
    n_missing: int = 0
    missing_by_reason: dict[str, int] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
    seed_outcomes: list[InstanceSeeds] = Field(default_factory=list)  # test outcomes only
    comparison: Comparison | None = None  # the paired comparison of the run's systems
    mc: MCSection | None = None  # multiple-choice tasks: KL, Brier and 0/1 side by side
    synthetic: dict[str, Any] | None = None  # a synthetic-optimizer run's summary
