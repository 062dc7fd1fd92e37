"""Per-sample figures measured in an existing run folder (a past sweep or a pilot)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from agentbench.config import SystemConfig
from agentbench.records import SampleStatus
from agentbench.store.runstore import RunStore
from agentbench.store.schema import DB_NAME, refuse_foreign


@dataclass(frozen=True)
class Measured:
    """Means over the finished samples of one system in one run folder."""

    source: str  # e.g. "run runs/x (12 samples)"
    n: int
    input_tokens: float
    output_tokens: float
    wall_s: float  # per sample, as the sample itself timed it (the first one left out)
    throughput: float | None  # samples per second over the run, at `concurrency`
    concurrency: int | None
    trajectory_bytes: float | None


def _traj_bytes(rd: Path, paths: list[str]) -> float | None:
    sizes = [os.path.getsize(rd / p) for p in paths if (rd / p).is_file()]
    return sum(sizes) / len(sizes) if sizes else None


def measure(run_dir: Path, system: SystemConfig) -> Measured | None:
    """What `system` (by config hash, else by name) used per sample in `run_dir`; None if nothing."""
    refuse_foreign(run_dir / DB_NAME)  # opening another tool's database would turn it to WAL
    with RunStore.open(run_dir) as store:
        rows = list(store.iter_results(system_hash=system.config_hash(), status=SampleStatus.DONE))
        how = ""
        if not rows:
            rows = list(store.iter_results(system=system.name, status=SampleStatus.DONE))
            how = ", same name, other config"
        spec = store.spec() or {}
    if not rows:
        return None
    n = len(rows)
    # the first sample of a run pays the start-up (imports, clients, connections) that the
    # others do not; its wall time is left out of the mean when there are others to go by
    timed = sorted(rows, key=lambda r: r.started_at or 0.0)[1:] if n >= 3 else rows
    starts = [r.started_at for r in rows if r.started_at is not None]
    ends = [r.finished_at for r in rows if r.finished_at is not None]
    span = (max(ends) - min(starts)) if starts and ends else 0.0
    conc = (spec.get("concurrency") or {}).get("samples")
    return Measured(
        source=f"run {run_dir} ({n} samples{how})",
        n=n,
        input_tokens=sum(r.usage.input_tokens for r in rows) / n,
        output_tokens=sum(r.usage.output_tokens for r in rows) / n,
        wall_s=sum(r.wall_s for r in timed) / len(timed),
        throughput=n / span if span > 0 else None,
        concurrency=conc if isinstance(conc, int) else None,
        trajectory_bytes=_traj_bytes(
            run_dir, [r.trajectory_path for r in rows if r.trajectory_path]
        ),
    )
