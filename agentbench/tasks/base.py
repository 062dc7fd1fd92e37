"""The one Task interface sweeps run through."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from agentbench.records import SampleKey, SampleResult


class Task(Protocol):
    """A set of instances that can be unrolled under a system with a seed, and graded."""

    name: str

    def instance_ids(self) -> list[str]:
        """The selected instances, in a stable order."""
        ...

    def run_sample(self, key: SampleKey, system: dict[str, Any], run_dir: Path) -> SampleResult:
        """Unroll and grade one sample; write its trajectory under `run_dir`.

        An infrastructure failure raises `agentbench.errors.InfraError` (the executor
        applies the retry policy and records MISSING); agent failures are outcomes.
        """
        ...
