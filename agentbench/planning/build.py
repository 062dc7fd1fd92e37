"""Build a sweep's plan: samples, tokens, cost, wall time, disk and what is missing, per system."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentbench.config import SystemConfig
from agentbench.errors import UserError
from agentbench.models.pricing import Price, cost_usd, price_for
from agentbench.planning.bounds import CHARS_PER_TOKEN, Bound, agent_bound, mc_bound
from agentbench.planning.measured import Measured, measure
from agentbench.planning.readiness import image_sizes, missing_keys, swebench_images
from agentbench.records import Usage
from agentbench.store.schema import DB_NAME
from agentbench.sweep.spec import SweepSpec
from agentbench.tasks.base import Task
from agentbench.tasks.registry import make_task

TRAJ_OVERHEAD = 2048  # bytes of JSON per trajectory beside its text

# Published sizes, used to count samples when the dataset is not in the cache (named as such).
PUBLISHED = {
    ("swebench", "princeton-nlp/SWE-bench_Verified"): (500, "SWE-bench Verified: 500 instances"),
    ("gpqa", "diamond"): (198, "GPQA Diamond: 198 questions"),
    ("mmlu", "per_subject=100"): (5700, "MMLU 100 per subject: 5,700 (METHODS.md §5)"),
}


@dataclass
class TaskInfo:
    """One task of the spec: its instance count and where that count came from."""

    name: str
    kind: str
    n: int | None
    how: str
    task: Task | None
    prompt_chars: float  # mean prompt text per instance (agent tasks), 0 when unknown
    error: str | None = None  # why the dataset could not be loaded


@dataclass
class SystemPlan:
    """One row of the plan."""

    name: str
    model: str
    samples: int | None
    input_tokens: float | None  # per sample
    output_tokens: float | None
    basis: str
    price: Price | None
    wall_s: float | None  # per sample
    throughput: float | None  # measured samples/s
    measured_concurrency: int | None
    trajectory_bytes: float | None

    def total(self, per: float | None) -> float | None:
        """`per` × samples, None when either is unknown."""
        return None if per is None or self.samples is None else per * self.samples

    @property
    def is_bound(self) -> bool:
        """Whether the tokens are an upper bound from limits (not measured)."""
        return not self.basis.startswith("measured")

    @property
    def cost_usd(self) -> float | None:
        """Expected dollars for this system (None: unknown price or unknown tokens)."""
        tin, tout = self.total(self.input_tokens), self.total(self.output_tokens)
        if self.price is None or tin is None or tout is None:
            return None
        return cost_usd(self.price, Usage(input_tokens=round(tin), output_tokens=round(tout)))


@dataclass
class Plan:
    """The whole plan of one sweep."""

    name: str
    run_dir: str
    tasks: list[TaskInfo]
    systems: list[SystemPlan]
    workers: int
    worker_kind: str  # "concurrency" or "Ray workers"
    wall_s: float | None = None
    wall_basis: str = ""
    disk_trajectories: float | None = None
    disk_basis: str = ""
    disk_images: str = ""
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def cost_usd(self) -> float | None:
        """The sweep's expected dollars; None when any system's cost is unknown."""
        costs = [s.cost_usd for s in self.systems]
        return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)


def _published(spec: dict[str, Any]) -> tuple[int, str] | None:
    """The published size of an unfiltered hub dataset of the paper, if it is one."""
    if spec.get("kind") == "swebench":
        if any(spec.get(k) for k in ("instance_ids", "filter", "slice")):
            return None
        return PUBLISHED.get(("swebench", str(spec.get("dataset"))))
    ds = spec.get("dataset") if isinstance(spec.get("dataset"), dict) else {}
    if ds.get("max_questions"):
        return None
    if ds.get("source") == "gpqa" and (ds.get("config") or "diamond") == "diamond":
        return PUBLISHED[("gpqa", "diamond")]
    if (
        ds.get("source") == "mmlu"
        and ds.get("per_subject") == 100
        and ds.get("config", "all") == "all"
    ):
        return PUBLISHED[("mmlu", "per_subject=100")]
    return None


def _load_task(spec: dict[str, Any], factory: Callable[[dict[str, Any]], Task]) -> TaskInfo:
    """Build the task offline (HF cache only): count its instances, or say why not."""
    name = str(spec.get("name") or spec.get("dataset") or spec.get("kind"))
    kind = str(spec.get("kind"))
    try:
        task = factory(spec)
    except UserError as exc:
        pub = _published(spec)
        if pub is None:
            return TaskInfo(name, kind, None, "dataset not available here", None, 0.0, str(exc))
        how = f"{pub[1]} (published size; dataset not available here)"
        return TaskInfo(name, kind, pub[0], how, None, 0.0, str(exc))
    ids = task.instance_ids()
    chars = 0.0
    from agentbench.tasks.swebench.task import SWEBenchTask

    if isinstance(task, SWEBenchTask) and task.instances:
        chars = sum(len(i.problem_statement) for i in task.instances) / len(task.instances)
    return TaskInfo(task.name, kind, len(ids), "counted from the dataset", task, chars)


def _bound(system: SystemConfig, infos: list[TaskInfo], specs: list[dict[str, Any]]) -> Bound:
    """Per-sample bound averaged over the tasks' samples (weighted by instance count)."""
    parts: list[tuple[int, Bound]] = []
    for info, ts in zip(infos, specs, strict=True):
        if info.kind == "swebench":
            b = agent_bound(system, info.prompt_chars)
            if info.task is None:
                b = Bound(b.input_tokens, b.output_tokens, b.how + ", problem text not counted")
        elif info.kind == "mc":
            b = mc_bound(system, info.task, ts)
        else:
            b = Bound(None, None, f"no bound for task kind {info.kind!r}")
        parts.append((info.n or 0, b))
    if any(i.n is None for i in infos):  # counts unknown: weigh the tasks alike
        parts = [(1, b) for _, b in parts]
    total = sum(n for n, _ in parts) or 1

    def mean(vals: list[tuple[int, float | None]]) -> float | None:
        if any(v is None for _, v in vals):
            return None
        return sum(n * v for n, v in vals if v is not None) / total

    inp = mean([(n, b.input_tokens) for n, b in parts])
    out = mean([(n, b.output_tokens) for n, b in parts])
    return Bound(inp, out, "; ".join(dict.fromkeys(b.how for _, b in parts)))


def build_plan(
    spec: SweepSpec,
    *,
    from_run: Path | None = None,
    workers: int | None = None,
    worker_kind: str = "samples in flight",
    factory: Callable[[dict[str, Any]], Task] = make_task,
    check_images: bool = True,
    offline: bool = True,
) -> Plan:
    """The plan of `spec`; nothing runs (with `offline`, datasets come from the local cache only).

    `agentbench run` plans with offline False: the hub library fixes its offline mode when first
    imported, and the sweep that follows in the same process must be able to download.
    """
    if offline:
        for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):  # "not cached" must not download
            os.environ.setdefault(var, "1")
    infos = [_load_task(t, factory) for t in spec.tasks]
    n_seeds = len(spec.seed_list())
    per_system = None if any(i.n is None for i in infos) else sum(i.n or 0 for i in infos) * n_seeds
    runs = [from_run] if from_run is not None else []
    if not runs and spec.resolved_run_dir().joinpath(DB_NAME).exists():
        runs = [spec.resolved_run_dir()]  # an earlier run of this very sweep measured it
    rows: list[SystemPlan] = []
    for s in spec.systems:
        m: Measured | None = None
        for rd in runs:
            m = measure(rd, s)
            if m is not None:
                break
        if m is not None:
            inp, out, basis = m.input_tokens, m.output_tokens, f"measured: {m.source}"
        else:
            b = _bound(s, infos, spec.tasks)
            inp, out, basis = b.input_tokens, b.output_tokens, f"upper {b.how}"
        rows.append(
            SystemPlan(
                name=s.name, model=f"{s.model.provider}:{s.model.name}", samples=per_system,
                input_tokens=inp, output_tokens=out, basis=basis, price=price_for(s.model),
                wall_s=m.wall_s if m else None, throughput=m.throughput if m else None,
                measured_concurrency=m.concurrency if m else None,
                trajectory_bytes=m.trajectory_bytes if m else None,
            )
        )  # fmt: skip
    w = workers or spec.concurrency.samples
    plan = Plan(spec.name, str(spec.resolved_run_dir()), infos, rows, w, worker_kind)
    _wall(plan)
    _disk(plan, check_images)
    plan.missing = missing_keys(list(spec.systems)) + plan.missing
    plan.missing += [f"dataset {i.name}: {i.error}" for i in infos if i.task is None]
    return plan


def _wall(plan: Plan) -> None:
    """Wall time at `plan.workers` in flight from measured per-sample times (or unknown)."""
    total, sources = 0.0, []
    for s in plan.systems:
        if s.wall_s is None or s.samples is None:
            plan.wall_basis = f"no measured run of {s.name}: pass --from-run or --pilot N"
            return
        # samples run `workers` at a time; each takes its measured mean
        total += s.samples * s.wall_s / plan.workers
        sources.append(s.basis.removeprefix("measured: "))
    plan.wall_s = total
    plan.wall_basis = (
        f"{plan.workers} {plan.worker_kind}, mean wall per sample (first left out: start-up) from "
        + "; ".join(dict.fromkeys(sources))
        + " (model rate limits not modelled)"
    )


def _disk(plan: Plan, check_images: bool) -> None:
    """Trajectory bytes (measured, else the token bound × chars/token) and the images' size."""
    total = 0.0
    basis = "measured trajectory files"
    for s in plan.systems:
        per = s.trajectory_bytes
        if per is None:
            if s.input_tokens is None or s.output_tokens is None:
                plan.disk_basis = "no bound on tokens"
                plan.disk_trajectories = None
                break
            # a trajectory stores each message once: replies plus as much again of
            # observations, plus the JSON around them; a rough figure, said to be one
            per = 2 * s.output_tokens * CHARS_PER_TOKEN + TRAJ_OVERHEAD
            basis = "estimate: 2 × output tokens × 4 bytes + 2 kB per sample"
        total += per * (s.samples or 0)
    else:
        plan.disk_trajectories, plan.disk_basis = total, basis
    tags = [
        t
        for i in plan.tasks
        if i.task is not None and i.kind == "swebench"
        for t in swebench_images(i.task)
    ]
    if not any(i.kind == "swebench" for i in plan.tasks):
        plan.disk_images = "none (no sandboxed tasks)"
        return
    if not tags:
        plan.disk_images = "unknown (image list needs the dataset, or images are built locally)"
        return
    if not check_images:
        plan.disk_images = f"{len(tags)} images (not checked)"
        return
    present, absent, why = image_sizes(tags)
    plan.disk_images = f"{present / 1e9:.1f} GB present, {len(absent)} of {len(tags)} images absent"
    if why:
        plan.missing.append(why)
    elif absent:
        plan.missing.append(
            f"Docker images: {len(absent)} not present (e.g. {absent[0]}); pulled on first use"
        )
