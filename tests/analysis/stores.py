"""Helpers for the analysis tests: real run stores filled with outcomes of known probability."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from agentbench.config import ModelConfig, SystemConfig
from agentbench.records import (
    ChoiceOutcome,
    ExitStatus,
    SampleKey,
    SampleResult,
    SampleStatus,
    TestOutcome,
)
from agentbench.store.runstore import RunStore

_HASHES: dict[int, tuple[SystemConfig, str]] = {}


def _hash(sys_: SystemConfig) -> str:
    """config_hash() once per config object (it dumps and hashes the whole config)."""
    hit = _HASHES.get(id(sys_))
    if hit is None or hit[0] is not sys_:
        hit = _HASHES[id(sys_)] = (sys_, sys_.config_hash())
    return hit[1]


def system(name: str, temperature: float = 0.5) -> SystemConfig:
    """A scripted system config (the config only labels samples here)."""
    return SystemConfig(
        name=name,
        model=ModelConfig(provider="scripted", name="fixture", temperature=temperature),
        scaffold="bash-react",
    )


def graded(
    sys_: SystemConfig,
    instance: str,
    seed: int,
    passed: Sequence[bool],
    length: float,
    task: str = "swe",
) -> SampleResult:
    """A finished SWE-bench style sample: first test FAIL_TO_PASS, the rest PASS_TO_PASS."""
    names = [f"t{j}" for j in range(len(passed))]
    ok = bool(all(passed))
    return SampleResult(
        key=SampleKey(task=task, instance_id=instance, system=sys_.name,
                      system_hash=_hash(sys_), seed=seed),
        status=SampleStatus.DONE,
        outcome=TestOutcome(tests=names, passed=[bool(p) for p in passed],
                            fail_to_pass=names[:1], pass_to_pass=names[1:], resolved=ok),
        resolved=ok,
        exit_status=ExitStatus.SUBMITTED,
        n_actions=int(length),
        length=float(length),
    )  # fmt: skip


def choice_sample(
    sys_: SystemConfig, instance: str, seed: int, answer: int, target: int, n: int = 4
) -> SampleResult:
    """A finished multiple-choice sample answering option `answer` (one-hot)."""
    probs = [0.0] * n
    probs[answer] = 1.0
    return SampleResult(
        key=SampleKey(task="mc", instance_id=instance, system=sys_.name,
                      system_hash=_hash(sys_), seed=seed),
        status=SampleStatus.DONE,
        outcome=ChoiceOutcome(probs=probs, target=target),
        resolved=answer == target,
        exit_status=ExitStatus.SUBMITTED,
        n_actions=1,
        length=1.0,
    )  # fmt: skip


def missing_sample(sys_: SystemConfig, instance: str, seed: int, error: str) -> SampleResult:
    """An infra failure: no outcome."""
    return SampleResult(
        key=SampleKey(task="swe", instance_id=instance, system=sys_.name,
                      system_hash=_hash(sys_), seed=seed),
        status=SampleStatus.MISSING,
        attempts=3,
        error=error,
    )  # fmt: skip


def fill(run_dir: Path, systems: Sequence[SystemConfig], samples: Sequence[SampleResult]) -> Path:
    """Create a run store holding the given systems and samples."""
    with RunStore.create(run_dir, {"name": "fixture"}) as store:
        for sys_ in systems:
            store.register_system(sys_)
        store.put_many(samples)
    return run_dir


def draw_tests(
    pass_prob: list[np.ndarray], n_seeds: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Per instance, an (n_seeds, T) 0/1 matrix drawn from the per-test pass probabilities."""
    return [rng.random((n_seeds, p.size)) < p[None, :] for p in pass_prob]
