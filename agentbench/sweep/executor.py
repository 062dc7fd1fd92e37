"""The sample driver shared by every executor: concurrency gate, retry policy, cost limit,
progress callbacks, and one durable store write per finished sample.

An executor only says how one sample runs (`SampleRunner.run`): in a thread of this
process (local) or as a Ray task that rebuilds the Task on a worker (ray).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from agentbench.errors import InfraError, UserError
from agentbench.logging import get_logger
from agentbench.records import SampleResult, SampleStatus
from agentbench.store.runstore import RunStore
from agentbench.sweep.plan import PlannedSample
from agentbench.sweep.spec import RetryPolicy

log = get_logger(__name__)


class SampleRunner(Protocol):
    """Runs one attempt of one sample; raises InfraError for infrastructure failures."""

    async def run(self, sample: PlannedSample) -> SampleResult:
        """One attempt at `sample`."""
        ...

    async def aclose(self) -> None:
        """Release what is bound to the event loop (tasks' async clients), on that loop."""
        ...

    def close(self) -> None:
        """Release threads, clusters, connections."""
        ...


@dataclass
class Progress:
    """Where a sweep stands; sent to the progress callback after every change."""

    total: int  # planned samples, including those done in earlier runs
    already_done: int  # done before this run started
    to_run: int  # scheduled in this run
    done: int = 0  # finished with an outcome in this run
    missing: int = 0  # recorded MISSING in this run (infra failure after retries)
    running: int = 0
    retries: int = 0  # extra attempts after infra failures
    steps: int = 0  # agent actions in this run
    cost_usd: float = 0.0  # known cost spent, earlier runs included
    cost_unknown: int = 0  # samples of this run whose cost is unknown
    started_at: float = field(default_factory=time.monotonic)
    stopped_by_cost: bool = False
    not_scheduled: int = 0  # left out because the cost limit was reached

    @property
    def finished(self) -> int:
        """Samples of this run that have a final record."""
        return self.done + self.missing

    @property
    def elapsed_s(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.started_at

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the rate so far (None before the first sample finishes)."""
        if self.finished == 0:
            return None
        left = self.to_run - self.finished - self.not_scheduled
        return max(0.0, left * self.elapsed_s / self.finished)


ProgressCallback = Callable[[Progress], None]


@dataclass
class Gates:
    """What the driver needs from the spec."""

    samples: int
    retry: RetryPolicy
    cost_limit_usd: float | None = None


def _missing(sample: PlannedSample, attempts: int, reason: str, started: float) -> SampleResult:
    now = time.time()
    return SampleResult(
        key=sample.key,
        status=SampleStatus.MISSING,
        attempts=attempts,
        error=reason,
        started_at=started,
        finished_at=now,
        wall_s=now - started,
    )


def _not_run(sample: PlannedSample, prior: dict[str, int]) -> SampleResult:
    return SampleResult(
        key=sample.key,
        status=SampleStatus.NOT_RUN,
        attempts=prior.get(sample.key.key, 0),
        error="not run: the sweep's cost bound was reached first",
    )


async def drive(
    samples: list[PlannedSample],
    runner: SampleRunner,
    store: RunStore,
    gates: Gates,
    progress: Progress,
    on_progress: ProgressCallback | None = None,
    prior_attempts: dict[str, int] | None = None,
) -> Progress:
    """Run `samples` through `runner` with at most `gates.samples` in flight."""
    prior = prior_attempts or {}
    queue: asyncio.Queue[PlannedSample] = asyncio.Queue()
    for s in samples:
        queue.put_nowait(s)

    def emit() -> None:
        if on_progress is not None:
            on_progress(progress)

    def over_budget() -> bool:
        lim = gates.cost_limit_usd
        # a float sum of per-sample costs can fall a hair short of an exact bound ($0.05 × 10)
        return lim is not None and progress.cost_usd >= lim * (1 - 1e-9)

    async def one(sample: PlannedSample) -> None:
        started = time.time()
        store.mark_running_async(sample.key, started)
        before = prior.get(sample.key.key, 0)
        result: SampleResult | None = None
        reason = ""
        attempt = 0
        for attempt in range(1, gates.retry.max_attempts + 1):
            try:
                result = await runner.run(sample)
                break
            except InfraError as exc:
                reason = str(exc)
                log.warning("sample_infra_error", key=sample.key.key, attempt=attempt, error=reason)
            except UserError:
                raise  # bad config or environment: stop the sweep, it will fail for all
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug in a task: keep the sweep going, record why
                reason = f"task_error: {exc!r}"
                log.exception("sample_task_error", key=sample.key.key)
                break
            if attempt < gates.retry.max_attempts:
                progress.retries += 1
                emit()
                await asyncio.sleep(gates.retry.delay(attempt))
        if result is None:
            result = _missing(sample, before + attempt, reason, started)
        else:
            if result.key.key != sample.key.key:
                raise RuntimeError(
                    f"task {sample.key.task} returned key {result.key.key} for {sample.key.key}"
                )
            result = result.model_copy(update={"attempts": before + attempt, "key": sample.key})
        # durable before it counts as done
        await asyncio.wrap_future(store.put_async(result))
        if result.status == SampleStatus.DONE:
            progress.done += 1
        else:
            progress.missing += 1
        progress.steps += result.n_actions
        if result.cost_usd is None:
            progress.cost_unknown += 1 if result.status == SampleStatus.DONE else 0
        else:
            progress.cost_usd += result.cost_usd

    async def worker() -> None:
        while True:
            try:
                sample = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            if over_budget():
                progress.stopped_by_cost = True
                progress.not_scheduled += 1
                # on record as not run (not missing, not failed): the next run picks it up
                await asyncio.wrap_future(store.put_async(_not_run(sample, prior)))
                emit()
                continue
            progress.running += 1
            emit()
            try:
                await one(sample)
            finally:
                progress.running -= 1
                emit()

    emit()
    workers = [asyncio.create_task(worker()) for _ in range(min(gates.samples, len(samples)))]
    try:
        await asyncio.gather(*workers)
    except BaseException:
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
    emit()
    return progress
