"""A real Task for sweep-to-report tests: per-test pass probabilities known by construction.

Instance i has tests whose pass probabilities are fixed numbers; each unroll draws its
outcome from a hash of (instance, seed, system, test), so a sweep is reproducible and the
expected decomposition is known. Some (instance, seed) pairs fail like infrastructure.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from agentbench.config import SystemConfig
from agentbench.errors import InfraError
from agentbench.records import (
    ExitStatus,
    SampleKey,
    SampleResult,
    SampleStatus,
    TestOutcome,
    content_hash,
)
from agentbench.tasks.base import Task


def pass_probs(n_instances: int, seed: int = 0) -> list[np.ndarray]:
    """The per-test pass probabilities of each instance (2..6 tests, some always/never pass)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_instances):
        p = rng.choice([0.0, 0.15, 0.5, 0.85, 1.0], size=int(rng.integers(2, 7)))
        out.append(p)
    return out


def _uniform(*parts: object) -> float:
    return int(content_hash(list(parts), 12), 16) / 16**12


class KnownTestsTask(Task):
    """Per-test outcomes drawn from known probabilities; length grows with the instance index."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.name = str(spec.get("name", "known"))
        self.probs = pass_probs(int(spec.get("instances", 20)), int(spec.get("prob_seed", 0)))
        self.broken = {tuple(x) for x in spec.get("broken", [])}  # (instance, seed) infra fails

    def instance_ids(self) -> list[str]:
        """k00, k01, ..."""
        return [f"k{i:02d}" for i in range(len(self.probs))]

    async def arun_sample(
        self, key: SampleKey, system: SystemConfig, run_dir: Path
    ) -> SampleResult:
        """Draw each test's pass/fail; (instance, seed) pairs listed as broken raise InfraError."""
        if (key.instance_id, key.seed) in self.broken:
            raise InfraError("sandbox_start", f"{key.instance_id} seed {key.seed} never starts")
        i = int(key.instance_id[1:])
        p = self.probs[i]
        passed = [
            _uniform(key.instance_id, key.seed, key.system_hash, j) < p[j] for j in range(p.size)
        ]
        names = [f"test_{j}" for j in range(p.size)]
        n_actions = 3 + i + key.seed % 4
        return SampleResult(
            key=key,
            status=SampleStatus.DONE,
            outcome=TestOutcome(
                tests=names, passed=passed, fail_to_pass=names[:1], pass_to_pass=names[1:],
                resolved=all(passed),
            ),
            resolved=all(passed),
            exit_status=ExitStatus.SUBMITTED,
            n_actions=n_actions,
            length=float(n_actions),
            finished_at=time.time(),
        )  # fmt: skip
