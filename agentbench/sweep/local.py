"""The local executor: async tasks run on the event loop, sync tasks in a thread pool."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from agentbench.config import SystemConfig
from agentbench.records import SampleResult
from agentbench.sweep.plan import PlannedSample
from agentbench.tasks.base import Task


class LocalRunner:
    """Runs samples in this process; the spec's sample gate bounds the pool."""

    def __init__(
        self, tasks: list[Task], systems: list[SystemConfig], run_dir: Path, threads: int
    ) -> None:
        self.tasks = tasks
        self.systems = systems
        self.run_dir = run_dir
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sample")

    async def run(self, sample: PlannedSample) -> SampleResult:
        """One attempt: `arun_sample` when the task has it, else `run_sample` in a thread."""
        task = self.tasks[sample.task_index]
        system = self.systems[sample.system_index]
        arun = getattr(task, "arun_sample", None)
        if arun is not None:
            result: SampleResult = await arun(sample.key, system, self.run_dir)
            return result
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, task.run_sample, sample.key, system, self.run_dir
        )

    async def aclose(self) -> None:
        """Let tasks close loop-bound clients (optional `async aclose()` on a task)."""
        for task in self.tasks:
            closer = getattr(task, "aclose", None)
            if closer is not None:
                await closer()

    def close(self) -> None:
        """Stop the pool without waiting for samples still in threads (a crash path)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
