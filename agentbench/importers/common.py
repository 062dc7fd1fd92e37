"""What every importer shares: fields with one-line errors, an all-or-nothing write, a summary."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import Field

from agentbench.config import SystemConfig
from agentbench.errors import DataError
from agentbench.records import Record, SampleResult, SampleStatus
from agentbench.store.runstore import RunStore


class ImportSummary(Record):
    """What an import wrote into the run store."""

    source: str
    run_dir: str
    task: str
    system: str
    system_hash: str
    n_samples: int
    n_done: int
    n_missing: int
    n_unchanged: int = 0  # graded "unchanged" (limit hit or no patch; METHODS.md §2b)
    seeds: list[int] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


def field(obj: Any, path: str, where: str, kind: type | tuple[type, ...] | None = None) -> Any:
    """obj[a][b]... for path 'a.b'; missing or mistyped is a DataError naming the field."""
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            raise DataError(
                "field is missing", path=where, field=path, fix="is this the right kind of file?"
            )
        cur = cur[part]
    if kind is not None and not isinstance(cur, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise DataError(
            f"expected {names}, got {type(cur).__name__}",
            path=where,
            field=path,
            fix="is this the right kind of file?",
        )
    return cur


def write_import(
    run_dir: Path,
    system: SystemConfig,
    task: str,
    task_spec: dict[str, Any],
    samples: Sequence[SampleResult],
) -> None:
    """Register the system and task and write every sample in one transaction."""
    if not samples:
        raise DataError(
            "nothing to import: no samples found", path=str(task_spec.get("source_path", "")),
            fix="point the importer at the tool's output folder or file",
        )  # fmt: skip
    with RunStore.create(run_dir) as store:
        store.register_system(system)
        store.register_task(task, task_spec)
        store.put_many(samples)


def summary(
    source: str,
    run_dir: Path,
    task: str,
    system: SystemConfig,
    samples: Sequence[SampleResult],
    notes: list[str],
) -> ImportSummary:
    """Counts over the imported samples."""
    done = [s for s in samples if s.status == SampleStatus.DONE]
    unchanged = sum(1 for s in done if getattr(s.outcome, "unchanged", False))
    return ImportSummary(
        source=source, run_dir=str(run_dir), task=task, system=system.name,
        system_hash=system.config_hash(), n_samples=len(samples), n_done=len(done),
        n_missing=len(samples) - len(done), n_unchanged=unchanged,
        seeds=sorted({s.key.seed for s in samples}), notes=notes,
    )  # fmt: skip
