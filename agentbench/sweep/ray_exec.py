"""The Ray executor: each attempt is a Ray streaming task that rebuilds the Task from its spec
on the worker, runs it in a worker-private folder and streams back the SampleResult and every
file it wrote (shipping.py); the driver keeps the run store and the run folder."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agentbench.config import SystemConfig
from agentbench.errors import EnvironmentProblem, InfraError, UserError
from agentbench.records import SampleKey, SampleResult
from agentbench.sweep.plan import PlannedSample

_TASKS: dict[str, Any] = {}  # per worker process: spec JSON -> Task, built once
_LOOP: asyncio.AbstractEventLoop | None = None  # per worker process: tasks' clients live on it


def run_on_worker(
    task_spec: dict[str, Any], key_json: str, system_json: str
) -> Iterator[dict[str, Any]]:
    """Ray streaming task: run one attempt in a worker-private folder, then yield the outcome
    (with a manifest of the files written) followed by those files in chunks."""
    from agentbench.sweep.shipping import chunks, manifest
    from agentbench.tasks.registry import make_task

    global _LOOP
    blob = json.dumps(task_spec, sort_keys=True)
    task = _TASKS.get(blob)
    if task is None:
        task = _TASKS[blob] = make_task(task_spec)
    if _LOOP is None:
        _LOOP = asyncio.new_event_loop()
    key = SampleKey.model_validate_json(key_json)
    system = SystemConfig.model_validate_json(system_json)
    # the driver's run folder need not exist here (no shared filesystem on a cluster)
    work = Path(tempfile.mkdtemp(prefix="agentbench-sample-"))
    try:
        try:
            result = _LOOP.run_until_complete(task.arun_sample(key, system, work))
        except InfraError as exc:
            # exceptions crossing Ray get wrapped; a plain dict keeps the reason intact
            yield {"infra_error": exc.reason, "message": str(exc), "pid": os.getpid()}
            return
        except UserError as exc:
            yield {"user_error": str(exc), "pid": os.getpid()}
            return
        files = manifest(work)
        yield {"result": result.model_dump_json(), "pid": os.getpid(), "files": files}
        yield from chunks(work, files)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """EnvironmentProblem unless a `host:port` (or ray://host:port) head accepts a connection."""
    import socket

    hostport = address.removeprefix("ray://")
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        return  # "auto", "local", ...: ray resolves those itself
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
            pass
    except OSError as exc:
        raise EnvironmentProblem(
            f"no Ray head answers at {address} ({exc.strerror or type(exc).__name__})",
            field="--address",
            fix="check the address (ray status on the head node) or run without --address",
        ) from None


class RayRunner:
    """Hands each attempt to a Ray cluster (an existing one at `address`, or a local one)."""

    def __init__(
        self,
        task_specs: list[dict[str, Any]],
        systems: list[SystemConfig],
        run_dir: Path,
        *,
        address: str | None = None,
        num_cpus: int | None = None,
        cpus_per_sample: float = 1.0,
    ) -> None:
        try:
            import ray
        except ImportError:
            raise EnvironmentProblem(
                "the ray executor needs the ray package",
                field="--executor ray",
                fix="pip install 'agentbench[ray]'",
            ) from None
        self._ray = ray
        self._owns = not ray.is_initialized()
        if self._owns:
            kw: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if address:
                kw["address"] = address
            elif num_cpus is not None:
                kw["num_cpus"] = num_cpus
            if address:
                _check_reachable(address)  # ray.init retries an unreachable head for minutes
            try:
                ray.init(**kw)
            except Exception as exc:  # an unreachable address, a cluster that will not start
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                raise EnvironmentProblem(
                    f"cannot {'join the Ray cluster at ' + address if address else 'start Ray'} "
                    f"({type(exc).__name__}: {first})",
                    field="--address" if address else "--executor ray",
                    fix="check the address (ray status on the head node) or run without --address",
                ) from None
        self.task_specs = task_specs
        self.system_json = [s.model_dump_json() for s in systems]
        self.run_dir = str(run_dir.resolve())
        # retries belong to the spec's retry policy (drive), so one attempt is one Ray task
        self._remote = ray.remote(run_on_worker).options(
            num_cpus=cpus_per_sample, max_retries=0, num_returns="streaming"
        )
        self.worker_pids: set[int] = set()

    async def run(self, sample: PlannedSample) -> SampleResult:
        """One attempt as a Ray task; its files land in the run folder before it counts.

        A lost worker (or a broken transfer) is an infra failure and nothing of it is kept."""
        from agentbench.sweep.shipping import Receiver

        ray = self._ray
        gen = self._remote.remote(
            self.task_specs[sample.task_index],
            sample.key.model_dump_json(),
            self.system_json[sample.system_index],
        )
        receiver: Receiver | None = None
        try:
            out: dict[str, Any] = await (await gen.__anext__())
            self.worker_pids.add(int(out["pid"]))
            if "infra_error" in out:
                raise InfraError(out["infra_error"], out["message"].split(": ", 1)[-1])
            if "user_error" in out:
                raise EnvironmentProblem(f"on a Ray worker: {out['user_error']}")
            receiver = Receiver(Path(self.run_dir), out["files"])
            async for ref in gen:
                receiver.write(await ref)  # one chunk at a time: never a whole file in memory
            receiver.finish()
            receiver = None
        except ray.exceptions.RayError as exc:
            raise InfraError("ray", f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from None
        except StopAsyncIteration:
            raise InfraError("ray", "the worker's task ended without a result") from None
        finally:
            if receiver is not None:
                receiver.abort()
        return SampleResult.model_validate_json(out["result"])

    async def aclose(self) -> None:
        """Nothing loop-bound on the driver."""

    def close(self) -> None:
        """Shut down the cluster if this runner started it."""
        if self._owns and self._ray.is_initialized():
            self._ray.shutdown()
