"""A pilot: N samples per system through the real sweep code, into a folder of its own."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentbench.config import SystemConfig
from agentbench.records import SampleKey, SampleResult, content_hash
from agentbench.sweep.runner import SweepSummary, run_sweep
from agentbench.sweep.spec import SweepSpec
from agentbench.tasks.base import Task
from agentbench.tasks.registry import make_task


class _SpreadInstances(Task):
    """A task seen through `n` of its instances spread evenly over its list (easy and hard
    ones alike, where a dataset is ordered by difficulty or subject); the rest is the task's."""

    def __init__(self, task: Task, n: int) -> None:
        self._task = task
        self.name = task.name
        ids = list(task.instance_ids())
        k = min(n, len(ids))
        self._ids = [ids[i * len(ids) // k] for i in range(k)] if k else []

    def instance_ids(self) -> list[str]:
        """The chosen instances."""
        return list(self._ids)

    async def arun_sample(
        self, key: SampleKey, system: SystemConfig, run_dir: Path
    ) -> SampleResult:
        """The task's own unroll."""
        return await self._task.arun_sample(key, system, run_dir)

    def check_system(self, system: SystemConfig) -> None:
        """The task's own check."""
        self._task.check_system(system)

    def reap_orphans(self) -> None:
        """The task's own reaper."""
        self._task.reap_orphans()

    async def aclose(self) -> None:
        """The task's own clean-up."""
        await self._task.aclose()


def pilot_dir(spec: SweepSpec) -> Path:
    """Where the pilot of `spec` runs: beside its run folder, never inside it."""
    rd = spec.resolved_run_dir()
    return rd.with_name(rd.name + ".pilot")


def run_pilot(
    spec: SweepSpec,
    n: int,
    *,
    factory: Callable[[dict[str, Any]], Task] = make_task,
    run_dir: Path | None = None,
    source: str | None = None,
) -> tuple[Path, SweepSummary]:
    """Run about `n` samples per system (instances spread over each task, first seeds)."""
    tasks = [factory(t) for t in spec.tasks]
    per_task = max(1, math.ceil(n / len(tasks)))
    smallest = min(len(t.instance_ids()) for t in tasks) or 1
    seeds = spec.seed_list()[: max(1, math.ceil(per_task / smallest))]
    cut = {
        content_hash(ts): _SpreadInstances(t, per_task)
        for ts, t in zip(spec.tasks, tasks, strict=True)
    }
    pilot = spec.model_copy(update={"seeds": seeds, "cost_limit_usd": None})
    rd = run_dir or pilot_dir(spec)
    summary = run_sweep(
        pilot,
        task_factory=lambda ts: cut[content_hash(ts)],
        run_dir=rd,
        source=source,  # type: ignore[arg-type,return-value]
    )
    return rd, summary
