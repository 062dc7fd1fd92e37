"""Replay a trajectory's actions in a fresh sandbox, and fork it at step K with new seeds.

Replay shows where the environment is nondeterministic (same command, different
output). Forking keeps the first K model responses, re-executes their actions, and
continues with new seeds: the spread of outcomes across seeds at each fork point shows
where in an unroll the variance enters.
"""

from __future__ import annotations

import asyncio
import difflib
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np

from agentbench.agent.loop import Durability, arun_agent
from agentbench.agent.secrets import redact, secret_values
from agentbench.agent.tools import Action, shell_command
from agentbench.config import ModelConfig, SystemConfig
from agentbench.errors import DataError, InfraError, make_dir
from agentbench.models.base import Model
from agentbench.records import (
    ActionEvent,
    ExitStatus,
    ObservationEvent,
    Record,
    SampleKey,
    TestOutcome,
    content_hash,
)
from agentbench.sandbox.base import Sandbox
from agentbench.scaffold import Scaffold
from agentbench.trajectory import Trajectory, read_trajectory

SandboxFactory = Callable[[], AbstractContextManager[Sandbox]]
Grader = Callable[[str], TestOutcome]


class StepDiff(Record):
    """One re-executed action compared with its recorded observation."""

    index: int  # 0-based action number
    step: int
    tool: str
    command: str  # the bash command, or a short label for other tools
    recorded_exit: int | None
    replay_exit: int | None
    recorded_timed_out: bool = False
    replay_timed_out: bool = False
    same: bool
    diff: str = ""  # unified diff of the outputs (first lines) when they differ


class ReplayReport(Record):
    """Where re-running the recorded actions diverged from the record."""

    trajectory: str
    n_actions: int
    n_differ: int
    first_divergence: int | None  # index of the first differing action
    steps: list[StepDiff]


def _scaffold_of(traj: Trajectory) -> Scaffold:
    if not traj.start.scaffold:
        raise DataError(
            "the start event has no scaffold config",
            path=str(traj.path),
            field="start.scaffold",
            fix="the trajectory was written by an older agentbench; re-run the sample",
        )
    return Scaffold.model_validate(traj.start.scaffold)


def _recorded_actions(traj: Trajectory) -> list[tuple[ActionEvent, ObservationEvent | None]]:
    """Each action with the observation that answered it (None for a missing one)."""
    out: list[tuple[ActionEvent, ObservationEvent | None]] = []
    pending: ActionEvent | None = None
    for e in traj.events:
        if isinstance(e, ActionEvent):
            if pending is not None:
                out.append((pending, None))
            pending = e
        elif isinstance(e, ObservationEvent) and pending is not None:
            out.append((pending, e))
            pending = None
    if pending is not None:
        out.append((pending, None))
    return out


def _label(action: ActionEvent) -> str:
    if action.tool == "bash":
        return str(action.arguments.get("command", ""))
    if action.tool == "edit":
        return f"edit {action.arguments.get('command')} {action.arguments.get('path')}"
    return action.tool


def replay_actions(
    traj_path: str | Path, sandbox: Sandbox, *, diff_lines: int = 40
) -> ReplayReport:
    """Re-run every recorded action in `sandbox` and report which observations differ."""
    traj = read_trajectory(traj_path)
    scaffold = _scaffold_of(traj)
    limits = scaffold.effective_limits(SystemConfig.model_validate(traj.start.system_config).limits)
    secrets = secret_values()
    steps: list[StepDiff] = []
    for i, (act, obs) in enumerate(_recorded_actions(traj)):
        command = shell_command(Action(act.tool, act.arguments, act.tool_call_id))
        if command is None:  # submit: nothing runs
            continue
        recorded = obs.result if obs is not None else None
        try:
            res = sandbox.exec(command, limits.command_timeout_s)
        except InfraError:
            raise
        except Exception as exc:
            raise InfraError("sandbox", f"replay exec failed: {type(exc).__name__}: {exc}") from exc
        out = redact(res.output, secrets)
        rec_out = recorded.output if recorded is not None else ""
        same = (
            recorded is not None
            and out == rec_out
            and res.exit_code == recorded.exit_code
            and res.timed_out == recorded.timed_out
        )
        diff = ""
        if not same:
            lines = difflib.unified_diff(
                rec_out.splitlines(), out.splitlines(), "recorded", "replay", lineterm="", n=1
            )
            diff = "\n".join(list(lines)[:diff_lines])
        steps.append(
            StepDiff(
                index=i,
                step=act.step,
                tool=act.tool,
                command=_label(act),
                recorded_exit=recorded.exit_code if recorded else None,
                replay_exit=res.exit_code,
                recorded_timed_out=recorded.timed_out if recorded else False,
                replay_timed_out=res.timed_out,
                same=same,
                diff=diff,
            )
        )
    differ = [s for s in steps if not s.same]
    return ReplayReport(
        trajectory=str(traj_path),
        n_actions=len(steps),
        n_differ=len(differ),
        first_divergence=differ[0].index if differ else None,
        steps=steps,
    )


# ---------------------------------------------------------------------------- fork


class ForkResult(Record):
    """One continuation of a forked trajectory."""

    fork_at: int
    seed: int
    exit_status: ExitStatus
    n_actions: int
    patch: str
    patch_hash: str
    trajectory_path: str
    outcome: TestOutcome | None = None
    error: str | None = None  # infra failure: no outcome


class ForkSpread(Record):
    """How much the continuations from one fork point disagree."""

    fork_at: int
    n: int
    n_missing: int
    distinct_patches: int
    exit_statuses: dict[str, int]
    resolved_rate: float | None = None
    error: float | None = None  # METHODS.md §2b over the graded continuations
    bias2: float | None = None
    variance: float | None = None


class ForkReport(Record):
    """All continuations of one trajectory, per fork point."""

    trajectory: str
    results: list[ForkResult]
    spread: list[ForkSpread]


def _spread(k: int, results: list[ForkResult]) -> ForkSpread:
    ok = [r for r in results if r.error is None]
    statuses = dict(Counter(r.exit_status.value for r in ok))
    sp = ForkSpread(
        fork_at=k,
        n=len(ok),
        n_missing=len(results) - len(ok),
        distinct_patches=len({r.patch_hash for r in ok}),
        exit_statuses=statuses,
    )
    graded = [r.outcome for r in ok if r.outcome is not None]
    if graded and len({len(o.passed) for o in graded}) == 1 and graded[0].passed:
        y = np.array([o.passed for o in graded], dtype=float)  # R x T
        ybar = y.mean(axis=0)
        sp.resolved_rate = float(np.mean([o.resolved for o in graded]))
        sp.error = float(np.mean((1.0 - y) ** 2))
        sp.bias2 = float(np.mean((1.0 - ybar) ** 2))
        sp.variance = float(np.mean((y - ybar) ** 2))
    return sp


async def afork(
    traj_path: str | Path,
    fork_at: Sequence[int],
    seeds: Sequence[int],
    model: Model,
    *,
    sandbox_factory: SandboxFactory,
    out_dir: str | Path,
    model_config: ModelConfig | None = None,
    patch_fn: Callable[[Sandbox], str] | None = None,
    grade: Grader | None = None,
    concurrency: int = 1,
    durability: Durability = "step",
) -> ForkReport:
    """Fork `traj_path` after each K in `fork_at`, continuing once per seed (see module doc)."""
    traj = read_trajectory(traj_path)
    scaffold = _scaffold_of(traj)
    start = traj.start
    system = SystemConfig.model_validate(start.system_config)
    if model_config is not None:
        system = system.model_copy(update={"model": model_config})
    responses = [e.response for e in traj.model_calls()]
    for k in fork_at:
        if not 0 <= k <= len(responses):
            raise DataError(
                f"fork point {k} is outside 0..{len(responses)} (the recorded model calls)",
                path=str(traj_path),
                fix=f"pick --fork-at in 0..{len(responses)}",
            )
    base_commit = start.task_info.get("base_commit")
    out = make_dir(Path(out_dir), what="the fork folder", fix="pass a writable --out folder")
    gate = asyncio.Semaphore(max(1, concurrency))
    stem = Path(traj_path).stem

    async def one(k: int, seed: int) -> ForkResult:
        key = SampleKey(
            task=start.key.task,
            instance_id=start.key.instance_id,
            system=system.name,
            system_hash=system.config_hash(),
            seed=seed,
        )
        path = out / f"{stem}.fork{k}.seed{seed}.jsonl"
        path.unlink(missing_ok=True)  # a fork re-run replaces its file, never appends
        async with gate:
            cm = sandbox_factory()
            try:
                sb = await asyncio.to_thread(cm.__enter__)
            except Exception as exc:
                return ForkResult(
                    fork_at=k, seed=seed, exit_status=ExitStatus.INFRA_ERROR, n_actions=0,
                    patch="", patch_hash="", trajectory_path=str(path),
                    error=f"sandbox start failed: {type(exc).__name__}: {exc}",
                )  # fmt: skip
            try:
                pf = (lambda: patch_fn(sb)) if patch_fn else (lambda: sb.diff(base_commit))
                if patch_fn is None and base_commit:  # as a SWE-bench unroll does
                    await asyncio.to_thread(sb.verify_repo, base_commit)
                res = await arun_agent(
                    model=model,
                    scaffold=scaffold,
                    sandbox=sb,
                    key=key,
                    system=system,
                    task_vars=dict(start.task_vars),
                    trajectory_path=path,
                    patch_fn=pf,
                    task_info={**start.task_info, "fork_of": str(traj_path), "fork_at": k},
                    replay=responses[:k],
                    durability=durability,
                )
            except InfraError as exc:
                return ForkResult(
                    fork_at=k, seed=seed, exit_status=ExitStatus.INFRA_ERROR, n_actions=0,
                    patch="", patch_hash="", trajectory_path=str(path), error=str(exc),
                )  # fmt: skip
            finally:
                await asyncio.to_thread(cm.__exit__, None, None, None)
        outcome = await asyncio.to_thread(grade, res.patch) if grade is not None else None
        return ForkResult(
            fork_at=k,
            seed=seed,
            exit_status=res.exit_status,
            n_actions=res.n_actions,
            patch=res.patch,
            patch_hash=content_hash(res.patch, 12),
            trajectory_path=str(path),
            outcome=outcome,
        )

    jobs = [one(k, s) for k in fork_at for s in seeds]
    results = list(await asyncio.gather(*jobs))
    spread = [_spread(k, [r for r in results if r.fork_at == k]) for k in fork_at]
    return ForkReport(trajectory=str(traj_path), results=results, spread=spread)


def fork(
    traj_path: str | Path,
    k: int | Sequence[int],
    seeds: Sequence[int],
    model: Model,
    **kwargs: Any,
) -> ForkReport:
    """Blocking `afork`; `k` may be one fork point or several."""
    points = [k] if isinstance(k, int) else list(k)
    return asyncio.run(afork(traj_path, points, seeds, model, **kwargs))
