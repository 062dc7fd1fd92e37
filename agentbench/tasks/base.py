"""The one Task contract sweeps run through: every part a sweep uses, the optional ones with defaults."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

from agentbench.config import SystemConfig
from agentbench.records import SampleKey, SampleResult


class Task(ABC):
    """A set of instances that can be unrolled under a system with a seed, and graded.

    A task is built from its spec dict by `agentbench.tasks.registry.make_task`, so an executor
    on another machine (Ray) can rebuild it from the spec alone.
    """

    name: str

    @abstractmethod
    def instance_ids(self) -> list[str]:
        """The selected instances, in a stable order."""

    @abstractmethod
    async def arun_sample(
        self, key: SampleKey, system: SystemConfig, run_dir: Path
    ) -> SampleResult:
        """Unroll and grade one sample on the running loop; write its trajectory under `run_dir`.

        Blocking work (containers, grading) goes to `asyncio.to_thread`. An infrastructure
        failure raises `agentbench.errors.InfraError` (the executor applies the retry policy
        and records MISSING); agent failures are outcomes.
        """

    def check_system(self, system: SystemConfig) -> None:
        """Raise a UserError for a system this task cannot run (a missing scaffold); sweeps
        call it before they write anything. Default: every system runs."""
        return None

    def reap_orphans(self) -> None:
        """Remove what killed runs of this task left behind (their containers); sweeps call it
        before they start, and it never fails the sweep. Default: this task leaves nothing."""
        return None

    def prepare(self, on_instance: Callable[[str], None]) -> None:
        """Do the slow one-time set-up now (e.g. build images), calling `on_instance(id)` as it
        goes. Default: nothing to prepare."""
        return None

    async def aclose(self) -> None:
        """Release what is bound to the running loop (model clients), once a sweep ends on it.
        Default: nothing held."""
        return None
