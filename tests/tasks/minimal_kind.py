"""A task kind in one module: only the required parts of the Task contract, the rest defaulted.

Registered in a test by one line (`KINDS["minimal"] = "tests.tasks.minimal_kind:MinimalTask"`).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from agentbench.config import SystemConfig
from agentbench.records import ChoiceOutcome, SampleKey, SampleResult, SampleStatus
from agentbench.tasks.base import Task


def answer(instance_id: str, seed: int) -> int:
    """The option a sample picks (0 is right): known in advance for every (instance, seed)."""
    return (int(instance_id[1:]) + seed) % 3


class MinimalTask(Task):
    """`instances` questions of three options; sample (q, seed) answers `answer(q, seed)`."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.name = str(spec.get("name", "minimal"))
        self.n = int(spec.get("instances", 2))

    def instance_ids(self) -> list[str]:
        """m0..m{n-1}."""
        return [f"m{i}" for i in range(self.n)]

    async def arun_sample(
        self, key: SampleKey, system: SystemConfig, run_dir: Path
    ) -> SampleResult:
        """Pick the known answer; a blocking file write goes to a thread, as the contract says."""
        started = time.time()
        a = answer(key.instance_id, key.seed)
        rel = f"minimal/{key.key}.txt"
        out = run_dir / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(out.write_text, f"{key.instance_id} {key.seed} {a}\n")
        probs = [1.0 if i == a else 0.0 for i in range(3)]
        return SampleResult(
            key=key,
            status=SampleStatus.DONE,
            outcome=ChoiceOutcome(probs=probs, target=0, answer_text="ABC"[a]),
            resolved=a == 0,
            n_actions=1,
            length=1.0,
            started_at=started,
            finished_at=time.time(),
            trajectory_path=rel,
        )
