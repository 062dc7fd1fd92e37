"""The one Task interface sweeps run through."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from agentbench.config import SystemConfig
from agentbench.records import SampleKey, SampleResult


class Task(Protocol):
    """A set of instances that can be unrolled under a system with a seed, and graded.

    A task is built from its spec dict (see `agentbench.tasks.registry`), so an executor
    on another machine (Ray) can rebuild it from the spec alone.
    """

    name: str

    def instance_ids(self) -> list[str]:
        """The selected instances, in a stable order."""
        ...

    def run_sample(self, key: SampleKey, system: SystemConfig, run_dir: Path) -> SampleResult:
        """Unroll and grade one sample; write its trajectory under `run_dir`.

        An infrastructure failure raises `agentbench.errors.InfraError` (the executor
        applies the retry policy and records MISSING); agent failures are outcomes.
        Tasks that are pure model calls may also define
        `async def arun_sample(key, system, run_dir) -> SampleResult` for high concurrency.
        A task may define `check_system(system) -> None` raising a UserError for a system it
        cannot run (e.g. a missing scaffold); sweeps call it before they write anything.
        """
        ...
