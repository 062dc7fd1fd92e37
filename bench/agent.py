"""Framework overhead per agent step, beside the raw sandbox command latency.

Each agent step = one model call + one trivial command (`true`) in a real Docker
sandbox. We measure, in the same run and the same container:

  raw exec        sandbox.exec("true") alone: the floor of any step
  raw HTTP call   one model call to the scripted server on 127.0.0.1
  loop (in-proc)  arun_agent with an in-process model (no HTTP): loop + sandbox
  loop (HTTP)     arun_agent against the scripted HTTP server: the real path

and report medians per step. Framework overhead = step wall time - model latency -
sandbox exec time (both recorded in the trajectory), under each fsync policy.

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

from agentbench.agent.loop import Durability, arun_agent
from agentbench.config import LimitsConfig, ModelConfig, SystemConfig
from agentbench.models.base import Model
from agentbench.models.factory import make_model
from agentbench.records import (
    ModelCallEvent,
    ModelRequest,
    ModelResponse,
    ObservationEvent,
    SampleKey,
    ToolCall,
)
from agentbench.sandbox.docker import DockerSandbox
from agentbench.sandbox.images import ensure_base_image
from agentbench.servers.scripted import Reply, ScriptedServer
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


def step_overheads(path: Path) -> tuple[list[float], list[float]]:
    """Per step: wall seconds between model calls, and that minus model latency and exec time."""
    events = read_trajectory(path).events
    calls = [e for e in events if isinstance(e, ModelCallEvent)]
    execs: dict[int, float] = {}
    for e in events:
        if isinstance(e, ObservationEvent) and e.result is not None:
            execs[e.step] = execs.get(e.step, 0.0) + e.result.duration_s
    walls, over = [], []
    for a, b in itertools.pairwise(calls):
        wall = b.t - a.t
        walls.append(wall)
        over.append(wall - b.response.latency_s - execs.get(a.step, 0.0))
    return walls, over


def run_loop(
    model: Model, system: SystemConfig, sb: DockerSandbox, path: Path, durability: Durability
) -> tuple[list[float], list[float]]:
    """One unroll until the step limit; returns per-step wall and overhead seconds."""
    key = SampleKey(
        task="bench",
        instance_id="bench",
        system=system.name,
        system_hash=system.config_hash(),
        seed=0,
    )
    asyncio.run(arun_agent(
        model=model, scaffold="bash-react", sandbox=sb, key=key, system=system,
        task_vars=TASK_VARS, trajectory_path=path, durability=durability,
    ))  # fmt: skip
    return step_overheads(path)


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
        rows.append(("raw sandbox exec `true`", raw_ms, "baseline"))

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

        rows.append(
            ("raw HTTP model call, empty prompt", med_ms(asyncio.run(http_calls())), "baseline")
        )

        # max_steps=n: conversations grow to 2n messages, like a long agent run
        system = SystemConfig(
            name="bench",
            model=mc,
            scaffold="bash-react",
            limits=LimitsConfig(max_steps=n, max_messages=10 * n),
        )
        for durability in ("none", "step", "event"):
            walls, over = run_loop(
                InProcessModel(), system, sb, tmp / f"inproc-{durability}.jsonl", durability
            )
            rows.append(
                (
                    f"step, in-process model, fsync={durability}",
                    med_ms(walls),
                    f"framework overhead {med_ms(over):.3f} ms/step (step/exec {med_ms(walls) / raw_ms:.1f}x)",
                )
            )
        for durability in ("none", "step"):
            walls, over = run_loop(model, system, sb, tmp / f"http-{durability}.jsonl", durability)
            rows.append(
                (
                    f"step, scripted HTTP, fsync={durability}",
                    med_ms(walls),
                    f"framework overhead {med_ms(over):.3f} ms/step beyond model latency + exec",
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
            f"{w_times[True] / max(w_times[False], 1e-9):.0f}x; fsync=event does ~3 per step",
        )
    )

    print(f"agent step overhead: {n} steps per run, medians, same container and server")
    print("  (overhead = step wall time - model latency - sandbox exec time, from the trajectory)")
    for name, ms, note in rows:
        print(f"  {name:<44} {ms:8.3f} ms   {note}")


if __name__ == "__main__":
    main()
