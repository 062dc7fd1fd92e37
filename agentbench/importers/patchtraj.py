"""A short trajectory file (start + end event) that keeps an imported run's patch for the viewer."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from agentbench.config import SystemConfig
from agentbench.records import EndEvent, ExitStatus, SampleKey, StartEvent
from agentbench.store.schema import TRAJECTORY_DIR
from agentbench.trajectory import TrajectoryWriter

IMPORTED_DIR = "imported"


def patch_trajectory_rel(key: SampleKey) -> str:
    """Where the sample's trajectory goes, relative to the run folder (named by its 24-hex key)."""
    return f"{TRAJECTORY_DIR}/{IMPORTED_DIR}/{key.key}.jsonl"


def write_patch_trajectory(
    run_dir: Path,
    key: SampleKey,
    system: SystemConfig,
    *,
    patch: str,
    exit_status: ExitStatus,
    task_info: dict[str, Any],
    n_actions: int = 0,
    cost_usd: float | None = None,
) -> str:
    """Write (replacing) the sample's start and end events, the end carrying `patch`; its rel path."""
    rel = patch_trajectory_rel(key)
    path = run_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # a re-import replaces the sample, and its file with it
    now = time.time()
    with TrajectoryWriter(path, fsync=False) as w:
        w.write(
            StartEvent(
                key=key, system_config=system.model_dump(mode="json"), task_info=task_info, t=now
            )
        )
        w.write(
            EndEvent(
                exit_status=exit_status, patch=patch, n_actions=n_actions, cost_usd=cost_usd, t=now
            )
        )
    return rel
