"""The local executor: every sample is awaited on the sweep's event loop."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from agentbench.config import SystemConfig
from agentbench.records import SampleResult
from agentbench.sweep.plan import PlannedSample
from agentbench.tasks.base import Task


class LocalRunner:
    """Runs samples in this process; the spec's sample gate bounds the blocking-call pool."""

    def __init__(
        self, tasks: list[Task], systems: list[SystemConfig], run_dir: Path, threads: int
    ) -> None:
        self.tasks = tasks
        self.systems = systems
        self.run_dir = run_dir
        # tasks put blocking work (containers, grading) in asyncio.to_thread: up to two calls
        # per sample in flight (a command and a trajectory fsync)
        self._pool = ThreadPoolExecutor(max_workers=2 * threads + 4, thread_name_prefix="sample")
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run(self, sample: PlannedSample) -> SampleResult:
        """One attempt: the task's `arun_sample` on this loop."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            loop.set_default_executor(self._pool)
            self._loop = loop
        task = self.tasks[sample.task_index]
        system = self.systems[sample.system_index]
        return await task.arun_sample(sample.key, system, self.run_dir)

    async def aclose(self) -> None:
        """Let tasks close loop-bound clients; the loop gets an idle pool back."""
        try:
            for task in self.tasks:
                await task.aclose()
        finally:
            if self._loop is not None:
                # asyncio.run joins its default pool at exit: threads of samples abandoned by
                # a crash or Ctrl-C must not hold that up (close() lets them go)
                self._loop.set_default_executor(ThreadPoolExecutor(max_workers=1))

    def close(self) -> None:
        """Stop the pool without waiting for samples still in threads (a crash path)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
