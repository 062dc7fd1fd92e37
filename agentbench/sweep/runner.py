"""Run a sweep into its run folder: reap its tasks' orphans, plan by key, skip what is done, drive."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from agentbench.config import SystemConfig
from agentbench.errors import ConfigError, DataError, EnvironmentProblem, UserError, make_dir
from agentbench.logging import get_logger
from agentbench.records import Record, SampleResult, SampleStatus
from agentbench.store.lock import run_folder_lock
from agentbench.store.runstore import RunStore
from agentbench.store.schema import TRAJECTORY_DIR
from agentbench.sweep.executor import Gates, Progress, ProgressCallback, SampleRunner, drive
from agentbench.sweep.plan import PlannedSample, plan_samples
from agentbench.sweep.spec import SweepSpec
from agentbench.tasks.base import Task
from agentbench.tasks.registry import make_task

log = get_logger(__name__)

ExecutorName = Literal["local", "ray"]


class SweepSummary(Record):
    """What one `run_sweep` call did."""

    run_dir: str
    planned: int
    already_done: int
    ran: int
    done: int
    missing: int
    retries: int
    steps: int
    cost_usd: float
    cost_unknown: int
    stopped_by_cost: bool
    not_scheduled: int
    wall_s: float


class _NoRunner:
    """The runner of an empty sweep."""

    async def run(self, sample: PlannedSample) -> SampleResult:
        """Never called: there are no samples."""
        raise AssertionError(sample)

    async def aclose(self) -> None:
        """Nothing to release."""

    def close(self) -> None:
        """Nothing to release."""


def _effective_systems(spec: SweepSpec) -> list[SystemConfig]:
    """Apply the spec's model-call gate (it is not part of the config hash)."""
    n = spec.concurrency.model_calls
    if n is None:
        return list(spec.systems)
    return [
        s.model_copy(update={"model": s.model.model_copy(update={"max_concurrency": n})})
        for s in spec.systems
    ]


_KEY_IN_NAME = re.compile(r"[0-9a-f]{24}")


def _remove_stale_trajectories(run_dir: Path, keys: set[str], known: list[str]) -> int:
    """Delete trajectory files of samples about to run (left by a crash or a failed attempt).

    Trajectory files carry the 24-hex sample key in their name; one walk of the folder finds
    them, so a sample that crashed before its RUNNING mark was committed is covered too.
    """
    n = 0
    for rel in known:
        p = run_dir / rel
        if p.is_file():
            p.unlink()
            n += 1
    root = run_dir / TRAJECTORY_DIR
    if not keys or not root.is_dir():
        return n
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            m = _KEY_IN_NAME.search(f)
            if m is not None and m.group(0) in keys:
                Path(dirpath, f).unlink()
                n += 1
    return n


def _placed(exc: UserError, where: str, source: str | None) -> UserError:
    """`exc` placed at `where` in the spec file, unless it already names a file of its own."""
    if exc.path is not None:
        return exc  # e.g. the dataset or scaffold file itself: that is the one to fix
    field = exc.field or ""
    head = where.split(".", 1)[0]
    rest = field.split(".", 1)[1] if field.startswith(head + ".") else field
    cls = type(exc) if type(exc) in (ConfigError, DataError, EnvironmentProblem) else ConfigError
    return cls(exc.detail, path=source, field=f"{where}.{rest}" if rest else where, fix=exc.fix)


def _build_tasks(
    spec: SweepSpec, factory: Callable[[dict[str, Any]], Task], source: str | None
) -> list[Task]:
    """Each task of the spec; a bad one is named by its index in the spec."""
    tasks: list[Task] = []
    for i, t in enumerate(spec.tasks):
        try:
            tasks.append(factory(t))
        except UserError as exc:
            raise _placed(exc, f"tasks.{i}", source) from None
    return tasks


def _check_systems(spec: SweepSpec, tasks: list[Task], source: str | None) -> None:
    """Ask each task whether it can run each system."""
    for task in tasks:
        for i, system in enumerate(spec.systems):
            try:
                task.check_system(system)
            except UserError as exc:
                if exc.path is not None and exc.detail == "scaffold not found":
                    # the spec's scaffold name is the typo, not the file it resolved to
                    raise ConfigError(
                        f"scaffold {system.scaffold!r} not found ({exc.path})",
                        path=source,
                        field=f"systems.{i}.scaffold",
                        fix=exc.fix,
                    ) from None
                raise _placed(exc, f"systems.{i}", source) from None


def run_sweep(
    spec: SweepSpec,
    *,
    executor: ExecutorName = "local",
    ray_address: str | None = None,
    ray_num_cpus: int | None = None,
    ray_cpus_per_sample: float = 1.0,
    on_progress: ProgressCallback | None = None,
    task_factory: Callable[[dict[str, Any]], Task] = make_task,
    run_dir: Path | None = None,
    source: str | None = None,
    wait: bool = False,
    on_wait: Callable[[str], None] | None = None,
    on_locked: Callable[[], None] | None = None,
) -> SweepSummary:
    """Run every sample of `spec` not yet done into its run folder; resumable at any point.

    `source` (the spec file) is named in errors about a task or system of the spec. One
    writer at a time: a folder another run holds is refused, or waited for with `wait`;
    `on_locked` runs once the folder is this run's (e.g. to print the plan).
    """
    tasks = _build_tasks(spec, task_factory, source)
    _check_systems(spec, tasks, source)  # before the run folder exists: nothing half-written
    for t in tasks:
        t.reap_orphans()
    rd = Path(run_dir or spec.resolved_run_dir())
    made = _first_missing(rd)
    make_dir(rd, what="the run folder", fix="pass a writable folder path for the run")
    with run_folder_lock(rd, wait=wait, on_wait=on_wait):
        if on_locked is not None:
            on_locked()
        try:
            return _sweep(
                spec,
                tasks,
                rd,
                executor=executor,
                ray_address=ray_address,
                ray_num_cpus=ray_num_cpus,
                ray_cpus_per_sample=ray_cpus_per_sample,
                on_progress=on_progress,
            )
        except UserError:
            if made is not None:
                # e.g. no Docker engine: leave no folder that holds nothing (still under the
                # lock, so a run queued behind this one never loses a folder it is about to use)
                _drop_if_empty(rd, made)
            raise


def _first_missing(rd: Path) -> Path | None:
    """The outermost folder of `rd` that does not exist yet (None: `rd` exists)."""
    if rd.exists():
        return None
    made = rd
    while not made.parent.exists():
        made = made.parent
    return made


def _drop_if_empty(rd: Path, made: Path) -> None:
    """Remove a run folder this sweep made when no sample finished (a failed first start)."""
    try:
        with RunStore.open(rd) as store:
            # claimed ("running") rows hold no result: only finished ones are worth keeping
            n = store.count(status=SampleStatus.DONE) + store.count(status=SampleStatus.MISSING)
    except UserError:
        return  # not a store we can read: leave it for the user to look at
    if n == 0:
        shutil.rmtree(made, ignore_errors=True)


def _sweep(
    spec: SweepSpec,
    tasks: list[Task],
    rd: Path,
    *,
    executor: ExecutorName,
    ray_address: str | None,
    ray_num_cpus: int | None,
    ray_cpus_per_sample: float,
    on_progress: ProgressCallback | None,
) -> SweepSummary:
    """The sweep itself, into the run folder `rd`."""
    with RunStore.create(rd, spec) as store:
        for s in spec.systems:
            store.register_system(s)
        for t, ts in zip(tasks, spec.tasks, strict=True):
            store.register_task(t.name, ts)
        planned = plan_samples(spec, tasks)
        done = store.done_keys()
        todo: list[PlannedSample] = [p for p in planned if p.key.key not in done]
        todo_keys = {p.key.key for p in todo}
        prior = store.status_of(todo_keys)
        known = [
            r.trajectory_path
            for k in prior
            if (r := store.get(k)) is not None and r.trajectory_path is not None
        ]
        removed = _remove_stale_trajectories(rd, todo_keys, known)
        if removed:
            log.info("stale_trajectories_removed", n=removed)
        stats = store.stats()
        progress = Progress(
            total=len(planned),
            already_done=len(planned) - len(todo),
            to_run=len(todo),
            cost_usd=stats.cost_usd,
        )
        gates = Gates(
            samples=spec.concurrency.samples, retry=spec.retry, cost_limit_usd=spec.cost_limit_usd
        )
        systems = _effective_systems(spec)
        runner: SampleRunner
        if not todo:
            runner = _NoRunner()  # nothing to do: do not start a cluster or a pool
        elif executor == "ray":
            from agentbench.sweep.ray_exec import RayRunner

            runner = RayRunner(
                spec.tasks,
                systems,
                rd,
                address=ray_address,
                num_cpus=ray_num_cpus,
                cpus_per_sample=ray_cpus_per_sample,
            )
        else:
            from agentbench.sweep.local import LocalRunner

            runner = LocalRunner(tasks, systems, rd, threads=spec.concurrency.samples)
        try:
            attempts = {k: a for k, (_, a) in prior.items()}

            async def main() -> None:
                try:
                    await drive(todo, runner, store, gates, progress, on_progress, attempts)
                finally:
                    await runner.aclose()

            asyncio.run(main())
        finally:
            runner.close()
        log.info("sweep_finished", run_dir=str(rd), done=progress.done, missing=progress.missing)
        return SweepSummary(
            run_dir=str(rd),
            planned=progress.total,
            already_done=progress.already_done,
            ran=progress.finished,
            done=progress.done,
            missing=progress.missing,
            retries=progress.retries,
            steps=progress.steps,
            cost_usd=progress.cost_usd,
            cost_unknown=progress.cost_unknown,
            stopped_by_cost=progress.stopped_by_cost,
            not_scheduled=progress.not_scheduled,
            wall_s=progress.elapsed_s,
        )
