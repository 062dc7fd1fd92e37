"""Check a suite's instances: gold resolves, nothing doesn't, PASS_TO_PASS passes at the base commit."""

from __future__ import annotations

import time
from collections.abc import Iterator

from pydantic import BaseModel, Field

from agentbench.records import TestOutcome
from agentbench.tasks.swebench import grading
from agentbench.tasks.swebench.task import SWEBenchTask


class InstanceCheck(BaseModel):
    """Validation result of one instance."""

    instance_id: str
    ok: bool
    problems: list[str] = Field(default_factory=list)
    gold: TestOutcome | None = None
    base: TestOutcome | None = None
    seconds: float = 0.0


def check_instance(task: SWEBenchTask, instance_id: str) -> InstanceCheck:
    """Grade the gold patch and the empty patch (run, not shortcut) of one instance."""
    t0 = time.monotonic()
    inst = task.instance(instance_id)
    image = task.image(inst)
    kw = {"image": image, "suite": task.dataset.suite, "timeout_s": task.spec.test_timeout_s}
    gold = grading.grade(inst, inst.patch, **kw)
    base = grading.grade(inst, "", run_empty=True, **kw)
    problems: list[str] = []
    if not gold.patch_applied:
        problems.append("gold patch does not apply")
    failing = [t for t, p in zip(gold.tests, gold.passed, strict=True) if not p]
    if failing:
        problems.append(f"gold patch leaves failing: {', '.join(failing[:5])}")
    if base.resolved:
        problems.append("resolved with an empty patch")
    p2p = dict(zip(base.tests, base.passed, strict=True))
    broken = [t for t in inst.PASS_TO_PASS if not p2p[t]]
    if broken:
        problems.append(f"PASS_TO_PASS fails at the base commit: {', '.join(broken[:5])}")
    passing_f2p = [t for t in inst.FAIL_TO_PASS if p2p[t]]
    if passing_f2p:
        problems.append(
            f"FAIL_TO_PASS already passes at the base commit: {', '.join(passing_f2p[:5])}"
        )
    return InstanceCheck(
        instance_id=instance_id,
        ok=not problems,
        problems=problems,
        gold=gold,
        base=base,
        seconds=time.monotonic() - t0,
    )


def validate_task(task: SWEBenchTask) -> Iterator[InstanceCheck]:
    """Check every selected instance in order (lazily, so callers can report as they go)."""
    for iid in task.instance_ids():
        yield check_instance(task, iid)
