"""The records the store returns beside SampleResult, and the sample <-> row codec."""

from __future__ import annotations

import time
from typing import Any

from agentbench.config import SystemConfig
from agentbench.records import (
    ExitStatus,
    Record,
    SampleKey,
    SampleResult,
    SampleStatus,
    Usage,
)
from agentbench.store.schema import KIND_OF, OUTCOME_KINDS, parsed_record


class SystemRow(Record):
    """One system of the run: its current name, config hash, config and sample count."""

    name: str
    hash: str
    config: SystemConfig
    n_samples: int = 0


class InstanceRow(Record):
    """Per-instance aggregate over the samples of one system (or all)."""

    task: str
    instance_id: str
    n_samples: int
    n_done: int
    n_missing: int
    n_resolved: int
    mean_length: float | None


class StoreStats(Record):
    """Totals over the whole run, for progress and the cost limit."""

    by_status: dict[str, int]
    n_actions: int
    cost_usd: float  # sum over samples with a known cost
    n_cost_unknown: int  # finished samples whose cost is unknown (not counted as 0)


def row_of(r: SampleResult) -> tuple[Any, ...]:
    """A sample as the values of schema.COLUMNS (updated_at is now)."""
    k = r.key
    kind = None if r.outcome is None else KIND_OF[type(r.outcome)]
    outcome = None if r.outcome is None else r.outcome.model_dump_json()
    resolved = None if r.resolved is None else int(r.resolved)
    u = r.usage
    return (
        k.key, k.task, k.instance_id, k.system, k.system_hash, k.seed, r.status.value,
        kind, outcome, resolved, None if r.exit_status is None else r.exit_status.value,
        r.n_actions, r.length, u.input_tokens, u.output_tokens, u.reasoning_tokens,
        u.cached_tokens, r.cost_usd, r.started_at, r.finished_at, r.wall_s, r.attempts,
        r.error, r.trajectory_path, time.time(),
    )  # fmt: skip


def result_of(row: tuple[Any, ...]) -> SampleResult:
    """A sample from the values of schema.COLUMNS; a corrupt outcome is a DataError."""
    (_key, task, inst, sname, shash, seed, status, kind, outcome, resolved, exit_status,
     n_actions, length, it, ot, rt, ct, cost, started, finished, wall, attempts, error,
     traj, _upd) = row  # fmt: skip
    out = (
        None
        if outcome is None
        else parsed_record(OUTCOME_KINDS[kind], outcome, f"samples[{_key}].outcome")
    )
    return SampleResult(
        key=SampleKey(task=task, instance_id=inst, system=sname, system_hash=shash, seed=seed),
        status=SampleStatus(status),
        outcome=out,
        resolved=None if resolved is None else bool(resolved),
        exit_status=None if exit_status is None else ExitStatus(exit_status),
        n_actions=n_actions,
        length=length,
        usage=Usage(input_tokens=it, output_tokens=ot, reasoning_tokens=rt, cached_tokens=ct),
        cost_usd=cost,
        started_at=started,
        finished_at=finished,
        wall_s=wall,
        attempts=attempts,
        error=error,
        trajectory_path=traj,
    )
