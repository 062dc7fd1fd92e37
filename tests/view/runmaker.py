"""A small real run for the viewer tests: a RunStore plus trajectory files, no Docker.

Run "demo", task "swe", two systems (alpha, beta). Instance "django__django-1" has five
seeds per system with known test vectors; alpha's seeds act alike for two steps and part
at step 2 (seed 2 runs another command). Seeds 0 and 1 end with the same wrong patch,
seed 2 with a right one, seed 3 hits the step limit with no patch, seed 4 is missing
(infrastructure). A second instance has an id that needs escaping in HTML and in paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agentbench.config import ModelConfig, SystemConfig
from agentbench.records import (
    ActionEvent,
    EndEvent,
    ExecResult,
    ExitStatus,
    Message,
    ModelCallEvent,
    ModelResponse,
    ObservationEvent,
    SampleKey,
    SampleResult,
    SampleStatus,
    StartEvent,
    TestOutcome,
    Usage,
)
from agentbench.store.runstore import RunStore
from agentbench.store.schema import TRAJECTORY_DIR
from agentbench.trajectory import TrajectoryWriter

TASK = "swe"
INST = "django__django-1"
ODD = "<b>odd</b> & 'quoted'/id"
TESTS = ["tests/test_x.py::test_fix", "tests/test_x.py::test_old_a", "tests/test_x.py::test_old_b"]
F2P, P2P = TESTS[:1], TESTS[1:]

WRONG = (
    "diff --git a/pkg/mod.py b/pkg/mod.py\n--- a/pkg/mod.py\n+++ b/pkg/mod.py\n"
    "@@ -1,2 +1,2 @@\n def f(x):\n-    return x\n+    return x + 0\n"
)
RIGHT = (
    "diff --git a/pkg/mod.py b/pkg/mod.py\n--- a/pkg/mod.py\n+++ b/pkg/mod.py\n"
    "@@ -1,2 +1,2 @@\n def f(x):\n-    return x\n+    return x + 1\n"
)
LONG_OUTPUT = "\n".join(f"line {i} of a long listing" for i in range(120))

# alpha's test vectors by seed (seed 4 is missing); beta resolves everything
ALPHA = {
    0: [False, True, True],
    1: [False, True, True],
    2: [True, True, True],
    3: [False, True, False],
}
BETA = {s: [True, True, True] for s in range(4)}


@dataclass(frozen=True)
class DemoRun:
    """Where the demo run lives and what a test needs to find in it."""

    run_dir: Path
    alpha: str  # system hashes
    beta: str
    keys: dict[tuple[str, int], str]  # (system name, seed) -> sample key on INST


def _system(name: str, temperature: float) -> SystemConfig:
    return SystemConfig(
        name=name,
        model=ModelConfig(provider="scripted", name="fixture", temperature=temperature),
        scaffold="bash-react",
    )


def _commands(seed: int, inst: str) -> list[str]:
    """The bash commands of one seed: on INST seed 2 parts from the others at step 2."""
    cmds = ["ls pkg", "cat pkg/mod.py", "grep -n return pkg/mod.py", "python -m pytest -q"]
    if seed == 2 and inst == INST:
        cmds[2] = "sed -n 1,5p pkg/mod.py"
    return cmds


def write_trajectory(path: Path, key: SampleKey, seed: int, patch: str, status: ExitStatus) -> int:
    """A realistic trajectory: prompt, then per step a reply, an action and an observation."""
    t0 = 1000.0
    cmds = _commands(seed, key.instance_id)
    with TrajectoryWriter(path, fsync=False) as w:
        w.write(
            StartEvent(
                key=key,
                messages=[
                    Message(role="system", content="You are a careful engineer. Use bash."),
                    Message(role="user", content=f"Fix the bug in pkg/mod.py ({key.instance_id})."),
                ],
                t=t0,
            )
        )
        for n, cmd in enumerate(cmds):
            t = t0 + 2.0 * (n + 1)
            w.write(
                ModelCallEvent(
                    step=n,
                    request_hash=f"h{n}",
                    response=ModelResponse(
                        text=f"Step {n}: I will run `{cmd}`.",
                        reasoning=f"thinking about step {n} of seed {seed}" if n == 0 else None,
                        usage=Usage(input_tokens=1000 + 10 * n, output_tokens=50 + n),
                        cost_usd=0.001,
                        latency_s=0.5,
                        model="fixture",
                    ),
                    t=t,
                )
            )
            w.write(ActionEvent(step=n, tool="bash", arguments={"command": cmd}, t=t + 0.1))
            out = LONG_OUTPUT if n == 0 else f"output of {cmd} <not-a-tag>"
            w.write(
                ObservationEvent(
                    step=n,
                    result=ExecResult(exit_code=0, output=out, duration_s=0.05),
                    message=Message(role="tool", content=out, tool_call_id=f"c{n}"),
                    t=t + 0.2,
                )
            )
        w.write(
            EndEvent(
                exit_status=status, patch=patch, n_actions=len(cmds), n_messages=2 + 2 * len(cmds),
                usage=Usage(input_tokens=4060, output_tokens=206), cost_usd=0.004, wall_s=9.0,
                t=t0 + 9.0,
            )
        )  # fmt: skip
    return len(cmds)


def _sample(
    run_dir: Path, sys_: SystemConfig, h: str, inst: str, seed: int, passed: list[bool] | None
) -> SampleResult:
    key = SampleKey(task=TASK, instance_id=inst, system=sys_.name, system_hash=h, seed=seed)
    if passed is None:
        return SampleResult(key=key, status=SampleStatus.MISSING, attempts=3,
                            error="sandbox_start: engine said <no>")  # fmt: skip
    rel = f"{TRAJECTORY_DIR}/{key.key}.jsonl"
    if seed == 3:
        patch, status = "", ExitStatus.STEP_LIMIT
    elif seed == 2 or all(passed):
        patch, status = RIGHT, ExitStatus.SUBMITTED
    else:
        patch, status = WRONG, ExitStatus.SUBMITTED
    n = write_trajectory(run_dir / rel, key, seed, patch, status)
    ok = all(passed)
    return SampleResult(
        key=key, status=SampleStatus.DONE,
        outcome=TestOutcome(tests=TESTS, passed=passed, fail_to_pass=F2P, pass_to_pass=P2P,
                            resolved=ok, unchanged=seed == 3),
        resolved=ok, exit_status=status, n_actions=n, length=float(n),
        usage=Usage(input_tokens=4060, output_tokens=206), cost_usd=None if seed == 1 else 0.004,
        wall_s=9.0, trajectory_path=rel,
    )  # fmt: skip


def make_demo_run(root: Path) -> DemoRun:
    """Build the demo run under `root / "demo"` with RunStore.put and TrajectoryWriter."""
    run_dir = root / "demo"
    alpha, beta = _system("alpha", 0.2), _system("beta", 0.8)
    keys: dict[tuple[str, int], str] = {}
    with RunStore.create(run_dir, {"name": "demo"}) as store:
        store.register_task(TASK, {"kind": "swebench"})
        ha, hb = store.register_system(alpha), store.register_system(beta)
        for sys_, h, vectors in ((alpha, ha, ALPHA), (beta, hb, BETA)):
            for seed in range(5):
                r = _sample(run_dir, sys_, h, INST, seed, vectors.get(seed))
                store.put(r)
                keys[(sys_.name, seed)] = r.key.key
            for seed in range(3):
                store.put(_sample(run_dir, sys_, h, ODD, seed, [seed != 1, True, True]))
    return DemoRun(run_dir=run_dir, alpha=ha, beta=hb, keys=keys)


def graded_sample(
    store: RunStore, system_name: str, inst: str, seed: int, passed: list[bool]
) -> SampleResult:
    """A finished sample (no trajectory) of a registered system, for growing a run."""
    row = store.system(system_name)
    assert row is not None
    key = SampleKey(task=TASK, instance_id=inst, system=row.name, system_hash=row.hash, seed=seed)
    ok = all(passed)
    return SampleResult(
        key=key, status=SampleStatus.DONE,
        outcome=TestOutcome(tests=TESTS, passed=passed, fail_to_pass=F2P, pass_to_pass=P2P,
                            resolved=ok),
        resolved=ok, exit_status=ExitStatus.SUBMITTED, n_actions=7, length=7.0,
    )  # fmt: skip
