"""Expand a spec into samples keyed by content: tasks × instances × systems × seeds."""

from __future__ import annotations

from dataclasses import dataclass

from agentbench.config import SystemConfig
from agentbench.errors import ConfigError
from agentbench.records import SampleKey
from agentbench.sweep.spec import SweepSpec
from agentbench.tasks.base import Task


@dataclass(frozen=True)
class PlannedSample:
    """One sample to run: which task object, which system, and its key."""

    task_index: int
    system_index: int
    key: SampleKey


def plan_samples(spec: SweepSpec, tasks: list[Task]) -> list[PlannedSample]:
    """Every sample of the sweep, seed-major so a stopped sweep covers all cells evenly."""
    names = [t.name for t in tasks]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ConfigError(
            f"two tasks are named {sorted(dup)[0]!r}",
            field="tasks",
            fix="give each task spec a distinct name",
        )
    systems: list[tuple[SystemConfig, str]] = [(s, s.config_hash()) for s in spec.systems]
    instances = [(ti, t.name, list(t.instance_ids())) for ti, t in enumerate(tasks)]
    out: list[PlannedSample] = []
    for seed in spec.seed_list():
        for ti, tname, ids in instances:
            for inst in ids:
                for si, (sys, h) in enumerate(systems):
                    key = SampleKey(
                        task=tname, instance_id=inst, system=sys.name, system_hash=h, seed=seed
                    )
                    out.append(PlannedSample(ti, si, key))
    return out
