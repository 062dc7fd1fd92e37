"""Framework overhead per agent step, beside the raw sandbox command latency.

Each agent step = one model call + one trivial command (`true`) in a real Docker
sandbox. We measure, in the same run and the same container:

  raw exec        sandbox.exec("true") alone: the floor of any step
  raw HTTP call   one model call to the scripted server on 127.0.0.1
  loop (in-proc)  run_agent with an in-process model (no HTTP): loop + sandbox
  loop (HTTP)     run_agent against the scripted HTTP server: the real path

and report medians per step; overhead = loop step - raw exec (- raw HTTP for the HTTP
path), with and without fsync of every trajectory event.

Run: .venv/bin/python bench/agent.py [--steps 200]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import time
from pathlib import Path

from agentbench.agent.loop import run_agent
from agentbench.config import LimitsConfig, ModelConfig, SystemConfig
from agentbench.models import make_model
from agentbench.models.base import Model
from agentbench.models.scripted import Reply, ScriptedServer
from agentbench.records import (
    ModelCallEvent,
    ModelRequest,
    ModelResponse,
    SampleKey,
    ToolCall,
)
from agentbench.sandbox.docker import DockerSandbox
from agentbench.sandbox.images import ensure_base_image
from agentbench.trajectory import TrajectoryWriter, read_trajectory

TASK_VARS = {"problem_statement": "bench", "repo": "bench", "instance_id": "bench", "workdir": "/"}
TRUE_CALL = [ToolCall(id="c1", name="bash", arguments={"command": "true"})]


class InProcessModel(Model):
    """Answers at once without HTTP, to isolate the loop's own cost."""

    name = "in-process"

    async def acomplete(
        self, request: ModelRequest, *, seed_index: int | None = None
    ) -> ModelResponse:
        """Always: run `true`."""
        return ModelResponse(text="", tool_calls=TRUE_CALL)


def med_ms(xs: list[float]) -> float:
    """Median in milliseconds."""
    return statistics.median(xs) * 1000


def step_times(path: Path) -> list[float]:
    """Seconds between consecutive model calls (= one full step each)."""
    ts = [e.t for e in read_trajectory(path).events if isinstance(e, ModelCallEvent)]
    return [b - a for a, b in itertools.pairwise(ts)]


def run_loop(
    model: Model, system: SystemConfig, sb: DockerSandbox, path: Path, fsync: bool
) -> list[float]:
    """One unroll until the step limit; returns per-step seconds."""
    key = SampleKey(
        task="bench",
        instance_id="bench",
        system=system.name,
        system_hash=system.config_hash(),
        seed=0,
    )
    run_agent(
        model=model, scaffold="bash-react", sandbox=sb, key=key, system=system,
        task_vars=TASK_VARS, trajectory_path=path, fsync=fsync,
    )  # fmt: skip
    return step_times(path)


def main() -> None:
    """Measure and print the table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200)
    args = ap.parse_args()
    n = args.steps
    image = ensure_base_image()
    tmp = Path(tempfile.mkdtemp(prefix="agentbench-bench-"))
    rows: list[tuple[str, float, str]] = []
    with (
        DockerSandbox(image, run_id="bench-agent", workdir="/") as sb,
        ScriptedServer.from_replies([Reply(tool_calls=TRUE_CALL)]) as srv,
    ):
        for _ in range(20):
            sb.exec("true", 10)  # warm up
        raw = []
        for _ in range(n):
            t = time.perf_counter()
            sb.exec("true", 10)
            raw.append(time.perf_counter() - t)
        raw_ms = med_ms(raw)
        rows.append(("raw exec `true`", raw_ms, "baseline"))

        mc = ModelConfig(
            provider="scripted", name="scripted-bench", base_url=srv.base_url, max_retries=0
        )
        model = make_model(mc)
        req = ModelRequest(model=mc.name, messages=[])

        async def http_calls() -> list[float]:
            out = []
            for _ in range(n):
                t = time.perf_counter()
                await model.acomplete(req, seed_index=0)
                out.append(time.perf_counter() - t)
            return out

        http_ms = med_ms(asyncio.run(http_calls()))
        rows.append(("raw HTTP model call", http_ms, "baseline"))

        system = SystemConfig(
            name="bench",
            model=mc,
            scaffold="bash-react",
            limits=LimitsConfig(max_steps=n + 1, max_messages=10 * n),
        )
        for fsync in (False, True):
            tag = "fsync" if fsync else "no fsync"
            s_in = med_ms(
                run_loop(InProcessModel(), system, sb, tmp / f"inproc-{fsync}.jsonl", fsync)
            )
            rows.append(
                (
                    f"loop step, in-process model, {tag}",
                    s_in,
                    f"overhead {s_in - raw_ms:.2f} ms (ratio {s_in / raw_ms:.2f}x exec)",
                )
            )
            s_http = med_ms(run_loop(model, system, sb, tmp / f"http-{fsync}.jsonl", fsync))
            rows.append(
                (
                    f"loop step, scripted HTTP, {tag}",
                    s_http,
                    f"overhead {s_http - raw_ms - http_ms:.2f} ms beyond exec+HTTP",
                )
            )

    # fsync alone: the cost of making one event durable
    w_times = {}
    for fsync in (False, True):
        ev = ModelCallEvent(
            step=1,
            request_hash="x" * 32,
            response=ModelResponse(text="y" * 500, tool_calls=TRUE_CALL),
            t=0.0,
        )
        with TrajectoryWriter(tmp / f"w-{fsync}.jsonl", fsync=fsync) as w:
            ts = []
            for _ in range(n):
                t = time.perf_counter()
                w.write(ev)
                ts.append(time.perf_counter() - t)
        w_times[fsync] = med_ms(ts)
    rows.append(("write 1 event, no fsync", w_times[False], "baseline"))
    rows.append(
        (
            "write 1 event, fsync",
            w_times[True],
            f"ratio {w_times[True] / max(w_times[False], 1e-9):.0f}x; ~3 events per step",
        )
    )

    print(f"agent step overhead: {n} steps per row, medians, same container and server")
    for name, ms, note in rows:
        print(f"  {name:<40} {ms:8.3f} ms   {note}")


if __name__ == "__main__":
    main()
