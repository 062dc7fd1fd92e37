"""Sweep throughput, each figure beside a bound measured in the same run (medians of --reps).

store:    durable sample writes/s into the run store, many in flight (group commit) vs one
          commit per sample.
evals:    one model call per sample (the MC/safety shape) through the scripted server and the
          project's model client, run as a sweep (executor + gate + run store with a durable
          write per sample) vs the same calls alone under a semaphore (no sweep, no store).
swebench: the real SWE-bench task on the tiny fixture suite (Docker sandbox, scripted agent:
          a fix, a look, submit; then grading in a fresh container) as a sweep vs the bound of
          sandbox start + the same commands + close + grading alone, at the same concurrency.

ray:      the chat task on a real three-node Ray cluster (netns, root only; tests/sweep/
          netns_cluster.py) vs the local executor at the same parallelism: ms per sample.

    .venv/bin/python bench/sweep.py [--part store|evals|swebench|ray|all] [--reps 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from agentbench.config import LimitsConfig, ModelConfig, SystemConfig
from agentbench.logging import configure
from agentbench.models.factory import make_model
from agentbench.records import (
    ChoiceOutcome,
    Message,
    ModelRequest,
    SampleKey,
    SampleResult,
    SampleStatus,
    ToolCall,
)
from agentbench.servers.scripted import Reply, ScriptedServer
from agentbench.sweep.runner import run_sweep
from agentbench.sweep.spec import SweepSpec
from agentbench.tasks.base import Task

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "suites" / "agentbench-tiny"


# ------------------------------------------------------------------ evals


class CallTask(Task):
    """One model call per sample; the letter answered is a ChoiceOutcome."""

    def __init__(self, n: int) -> None:
        self.name = "bench-calls"
        self.n = n
        self._models: dict[int, Any] = {}

    def instance_ids(self) -> list[str]:
        """q0..q{n-1}."""
        return [f"q{i}" for i in range(self.n)]

    def _model(self, system: SystemConfig) -> Any:
        loop = id(asyncio.get_running_loop())  # one client per event loop
        if loop not in self._models:
            self._models[loop] = make_model(system.model)
        return self._models[loop]

    async def arun_sample(
        self, key: SampleKey, system: SystemConfig, run_dir: Path
    ) -> SampleResult:
        """Ask, parse the letter."""
        req = ModelRequest(
            model=system.model.name,
            messages=[Message(role="user", content=f"{key.instance_id}: A, B, C or D?")],
            seed=key.seed,
            temperature=system.model.temperature,
        )
        resp = await self._model(system).acomplete(req, seed_index=key.seed)
        letter = resp.text.strip()[-1:]
        probs = [1.0 if c == letter else 0.0 for c in "ABCD"]
        return SampleResult(
            key=key, status=SampleStatus.DONE,
            outcome=ChoiceOutcome(probs=probs, target=0, answer_text=letter),
            resolved=letter == "A", n_actions=1, length=float(resp.usage.output_tokens),
            usage=resp.usage, cost_usd=resp.cost_usd,
        )  # fmt: skip

    async def aclose(self) -> None:
        """Close the model's client on this loop."""
        for m in self._models.values():
            await m.aclose()
        self._models.clear()


def _system(url: str, conc: int, scaffold: str = "none") -> SystemConfig:
    return SystemConfig(
        name="scripted",
        model=ModelConfig(
            provider="scripted", name="s", base_url=url, max_concurrency=conc, max_retries=0
        ),
        scaffold=scaffold,
    )


def evals_once(url: str, n: int, conc: int) -> tuple[float, float]:
    """(sweep samples/s, bare calls/s) for n samples at `conc` in flight."""
    system = _system(url, conc)
    n_inst = n // 10
    task = CallTask(n_inst)
    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    try:
        spec = SweepSpec(
            name="bench", tasks=[{"kind": "bench"}], systems=[system], seeds=10,
            concurrency={"samples": conc},
        )  # fmt: skip
        t0 = time.perf_counter()
        s = run_sweep(spec, run_dir=tmp / "run", task_factory=lambda _: task)
        sweep_rate = s.done / (time.perf_counter() - t0)
        assert s.done == n, s
    finally:
        shutil.rmtree(tmp)

    async def bare() -> float:
        model = make_model(system.model)
        sem = asyncio.Semaphore(conc)

        async def one(i: int) -> None:
            async with sem:
                req = ModelRequest(
                    model="s", messages=[Message(role="user", content=f"q{i % n_inst}: A, B, C or D?")],
                    seed=i // n_inst,
                )  # fmt: skip
                await model.acomplete(req, seed_index=i // n_inst)

        t = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        rate = n / (time.perf_counter() - t)
        await model.aclose()
        return rate

    return sweep_rate, asyncio.run(bare())


def bench_evals(reps: int, n: int) -> None:
    """Print the evals figures."""
    with ScriptedServer(lambda call: Reply(text="The answer is A")) as srv:
        evals_once(srv.base_url, 100, 16)  # warm-up, not timed
        print(f"evals: {n} one-call samples per run, medians of {reps} (samples/s)")
        print(f"  {'in flight':>9}  {'sweep':>8}  {'bare calls':>10}  {'sweep/bare':>10}")
        for conc in (16, 64, 256):
            runs = [evals_once(srv.base_url, n, conc) for _ in range(reps)]
            sw = statistics.median(r[0] for r in runs)
            ba = statistics.median(r[1] for r in runs)
            print(f"  {conc:>9}  {sw:>8.0f}  {ba:>10.0f}  {sw / ba:>10.2f}")


# ------------------------------------------------------------------ store


def bench_store(reps: int, n: int = 5000) -> None:
    """Durable sample writes/s: many in flight (group commit) vs one commit per sample."""
    from agentbench.store.runstore import RunStore

    results = [
        SampleResult(
            key=SampleKey(task="t", instance_id=f"q{i % 100}", system="s", system_hash="h", seed=i),
            status=SampleStatus.DONE,
            outcome=ChoiceOutcome(probs=[1.0, 0.0, 0.0, 0.0], target=0),
            resolved=True,
        )
        for i in range(n)
    ]
    group, serial = [], []
    for _ in range(reps):
        tmp = Path(tempfile.mkdtemp(prefix="bench-store-"))
        try:
            with RunStore.create(tmp / "a") as st:
                t = time.perf_counter()
                for f in [st.put_async(r) for r in results]:
                    f.result()
                group.append(n / (time.perf_counter() - t))
            with RunStore.create(tmp / "b") as st:
                t = time.perf_counter()
                for r in results[: n // 10]:
                    st.put(r)
                serial.append(n // 10 / (time.perf_counter() - t))
        finally:
            shutil.rmtree(tmp)
    g, s1 = statistics.median(group), statistics.median(serial)
    print(f"store: durable sample writes/s, medians of {reps}")
    print(
        f"  group commit (all in flight) {g:>8.0f}   one commit per put {s1:>8.0f}   ratio {g / s1:.1f}"
    )


# ------------------------------------------------------------------ swebench

FIX = "sed -i 's/return a + b  # BUG/return a * b/' calc/__init__.py"
LOOK = "ls"


def _agent_reply(call: Any) -> Reply:
    steps = sum(1 for m in call.messages if m.role == "assistant")
    cmds = [FIX, LOOK]
    if steps < len(cmds):
        return Reply(
            text="step",
            tool_calls=[ToolCall(id=f"c{steps}", name="bash", arguments={"command": cmds[steps]})],
        )
    return Reply(text="done", tool_calls=[ToolCall(id="s", name="submit", arguments={})])


def bound_once(task: Any, n: int, conc: int) -> float:
    """Samples/min of sandbox start + the agent's commands + diff + close + grading alone."""
    from agentbench.tasks.swebench.task import agent_patch

    inst = task.instance("calc-1")
    image = task.image(inst)

    def one(i: int) -> None:
        key = SampleKey(
            task=task.name, instance_id="calc-1", system="bound", system_hash="0", seed=i
        )
        sb = task._open_sandbox(image, key)
        try:
            for c in (FIX, LOOK):
                sb.exec(c)
            patch = agent_patch(sb, inst)
        finally:
            sb.close()
        task.grade(inst, patch)

    t = time.perf_counter()
    with ThreadPoolExecutor(conc) as pool:
        list(pool.map(one, range(n)))
    return n * 60 / (time.perf_counter() - t)


def sweep_once(task: Any, url: str, n: int, conc: int) -> float:
    """Samples/min of the same work as a sweep (agent loop, model over HTTP, store)."""
    system = SystemConfig(
        name="scripted",
        model=ModelConfig(provider="scripted", name="s", base_url=url, max_retries=0),
        scaffold="bash-react",
        limits=LimitsConfig(max_steps=5),
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    try:
        spec = SweepSpec(
            name="bench", tasks=[{"kind": "swebench", "dataset": str(TINY), "instance_ids": ["calc-1"]}],
            systems=[system], seeds=n, concurrency={"samples": conc},
        )  # fmt: skip
        t = time.perf_counter()
        s = run_sweep(spec, run_dir=tmp / "run", task_factory=lambda _: task)
        rate = s.done * 60 / (time.perf_counter() - t)
        assert s.done == n and s.steps == 3 * n, s
        return rate
    finally:
        shutil.rmtree(tmp)


def bench_swebench(reps: int, n: int) -> None:
    """Print the swebench figures."""
    from agentbench.tasks.registry import make_task

    task = make_task(
        {
            "kind": "swebench",
            "dataset": str(TINY),
            "instance_ids": ["calc-1"],
            "test_timeout_s": 120,
        }
    )
    task.image(task.instance("calc-1"))  # build once, outside the timings
    with ScriptedServer(_agent_reply) as srv:
        print(
            f"swebench: {n} samples per run (tiny suite, Docker), medians of {reps} (samples/min)"
        )
        print(f"  {'in flight':>9}  {'sweep':>8}  {'bound':>8}  {'sweep/bound':>11}")
        for conc in (1, 2, 4):
            runs = []
            for _ in range(reps):  # interleaved, so load changes hit both
                runs.append((sweep_once(task, srv.base_url, n, conc), bound_once(task, n, conc)))
            sw = statistics.median(r[0] for r in runs)
            bo = statistics.median(r[1] for r in runs)
            print(f"  {conc:>9}  {sw:>8.1f}  {bo:>8.1f}  {sw / bo:>11.2f}")


# ------------------------------------------------------------------ ray


def bench_ray(reps: int, seeds: int) -> None:
    """Per-sample wall of a Ray sweep on a three-node cluster vs the local executor, same run."""
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from sweep.netns_cluster import cluster, drive, unavailable

    why = unavailable()
    if why:
        print(f"ray: skipped ({why})")
        return
    n = 3 * 2 * seeds  # the driver's chat task: 3 instances × 2 systems × seeds
    with tempfile.TemporaryDirectory() as logs, cluster(Path(logs)):
        rows = [drive(f"bench:{seeds}") for _ in range(reps)]  # each: local, then Ray
    bad = [r["shipping_problems"] for r in rows if r["shipping_problems"] or r["ray"] != r["local"]]
    local = statistics.median(r["wall_local_s"] for r in rows) / n * 1e3
    ray = statistics.median(r["wall_ray_s"] for r in rows) / n * 1e3
    print(f"ray multi-node: {n} samples (scripted model over HTTP, trajectories shipped back),")
    print("  2 worker nodes × 1 CPU vs the local executor at 2 in flight; medians of", reps)
    print(f"  {'executor':>10}  {'ms/sample':>9}")
    print(f"  {'local':>10}  {local:>9.1f}")
    print(f"  {'ray':>10}  {ray:>9.1f}   overhead {ray - local:+.1f} ms/sample, {ray / local:.2f}x")
    if bad:
        print(f"  WARNING: the Ray run differed from the local run: {bad[:1]}")


def main() -> None:
    """Parse arguments, run the parts."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["store", "evals", "swebench", "ray", "all"], default="all")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--n-evals", type=int, default=2000)
    ap.add_argument("--n-swe", type=int, default=8)
    ap.add_argument("--ray-seeds", type=int, default=10)
    args = ap.parse_args()
    configure("ERROR")
    parts: dict[str, Callable[[], None]] = {
        "store": lambda: bench_store(args.reps),
        "evals": lambda: bench_evals(args.reps, args.n_evals),
        "swebench": lambda: bench_swebench(args.reps, args.n_swe),
        "ray": lambda: bench_ray(args.reps, args.ray_seeds),
    }
    for name, fn in parts.items():
        if args.part in (name, "all"):
            fn()


if __name__ == "__main__":
    main()
