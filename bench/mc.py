"""MC unrolls per second through our sweep (executor + gates + run store) vs a plain openai loop.

Against the scripted server (it answers at once), the bundled procedural task (questions ×
unrolls as sweep seeds) runs at 1, 16 and 128 requests in flight:

  ours (sdk)    run_sweep: plan, executor, concurrency gates, MCTask (prompt build, answer
                extraction), the project's model client on the openai SDK, one durable store
                row per unroll; timed end to end (store open to last commit)
  ours (lean)   the same with `model.extra.client: lean` (the models part's aiohttp client),
                when this tree has it
  openai loop   baseline: the same prompts sent with openai.AsyncOpenAI under a semaphore of
                the same size; no grading, no store

Variants alternate within each rep (order rotated) so load drift on a shared machine hits all.
Medians of --reps, ratio to the baseline; also process CPU ms per unroll (server included, it
runs in this process for every variant), which other jobs on the machine disturb less.

    .venv/bin/python bench/mc.py [--questions 40] [--unrolls 30] [--reps 3]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import openai

from agentbench.config import ModelConfig, SystemConfig
from agentbench.logging import configure
from agentbench.records import Usage
from agentbench.servers.scripted import Reply, ScriptedCall, ScriptedServer
from agentbench.sweep.runner import run_sweep
from agentbench.sweep.spec import Concurrency, SweepSpec
from agentbench.tasks.mc import MCTask

REPLY = Reply(text="Thinking briefly.\nAnswer: B", usage=Usage(input_tokens=90, output_tokens=6))


def responder(call: ScriptedCall) -> Reply:
    """An instant answer (the same for every request: we time the framework, not a model)."""
    return REPLY


def task_spec(questions: int) -> dict[str, Any]:
    """The bundled task: `questions` arithmetic questions, 10 contexts × 3 shots, shuffled."""
    return {
        "kind": "mc",
        "name": "arith",
        "dataset": {"source": "procedural", "n": questions, "difficulty": 3},
        "contexts": 10,
        "shots": 3,
        "shuffle": True,
    }


def ours(base_url: str, questions: int, unrolls: int, in_flight: int, lean: bool) -> float:
    """Unrolls per second of a fresh sweep into a fresh run folder."""
    extra = {"client": "lean"} if lean else {}
    model = ModelConfig(provider="scripted", name="scripted-mc", base_url=base_url,
                        max_concurrency=in_flight, extra=extra)  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="bench-mc-"))
    try:
        spec = SweepSpec(
            name="bench-mc",
            run_dir=str(tmp / "run"),
            tasks=[task_spec(questions)],
            systems=[SystemConfig(name="m", model=model, scaffold="mc")],
            seeds=unrolls,
            concurrency=Concurrency(samples=in_flight),
        )
        t0 = time.perf_counter()
        summary = run_sweep(spec)
        wall = time.perf_counter() - t0
        assert summary.done == questions * unrolls and summary.missing == 0, summary
        return summary.done / wall
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def baseline(base_url: str, task: MCTask, unrolls: int, in_flight: int) -> float:
    """The same prompts (and request seeds) with a plain openai client loop."""
    reqs = []
    for qid in task.instance_ids():
        for s in range(unrolls):
            msgs = [{"role": m.role, "content": m.content} for m in task.prompt(qid, s)]
            reqs.append((msgs, task.unroll(qid, s).request_seed))

    async def main() -> float:
        client = openai.AsyncOpenAI(base_url=base_url + "/v1", api_key="x", max_retries=0)
        sem = asyncio.Semaphore(in_flight)

        async def one(msgs: list[dict[str, str]], seed: int) -> str:
            async with sem:
                r = await client.chat.completions.create(
                    model="scripted-mc",
                    messages=msgs,
                    seed=seed,  # type: ignore[arg-type]
                )
                return r.choices[0].message.content or ""

        t0 = time.perf_counter()
        out = await asyncio.gather(*(one(m, s) for m, s in reqs))
        wall = time.perf_counter() - t0
        await client.close()
        assert len(out) == len(reqs)
        return len(reqs) / wall

    return asyncio.run(main())


def main() -> None:
    """Run the grid and print medians beside the baseline."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--questions", type=int, default=40)
    ap.add_argument("--unrolls", type=int, default=30)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--in-flight", default="1,16,128")
    args = ap.parse_args()
    configure("ERROR")
    has_lean = importlib.util.find_spec("agentbench.models.lean_model") is not None
    task = MCTask.from_spec(task_spec(args.questions))
    levels = [int(x) for x in args.in_flight.split(",")]
    with ScriptedServer(responder) as srv:
        url = srv.base_url
        ours(url, 2, 5, 4, lean=False)  # warm-up: imports (litellm price table), first connects
        if has_lean:
            ours(url, 2, 5, 4, lean=True)
        print(f"mc bench: {args.questions} questions × {args.unrolls} unrolls per run "
              f"(1 in flight: ÷5), medians of {args.reps}; scripted server on 127.0.0.1")  # fmt: skip
        print(f"{'in flight':>9}  {'variant':<12} {'unrolls/s':>10}  {'vs openai loop':>14}  "
              f"{'CPU ms/unroll':>9}  {'vs loop':>8}")  # fmt: skip
        for c in levels:
            q = max(2, args.questions // 5) if c == 1 else args.questions
            small = MCTask.from_spec(task_spec(q)) if q != args.questions else task
            variants: list[tuple[str, Any]] = [
                ("openai loop", lambda c=c, small=small: baseline(url, small, args.unrolls, c)),
                ("ours (sdk)", lambda c=c, q=q: ours(url, q, args.unrolls, c, lean=False)),
            ]
            if has_lean:
                variants.append(
                    ("ours (lean)", lambda c=c, q=q: ours(url, q, args.unrolls, c, lean=True))
                )
            rates: dict[str, list[float]] = {name: [] for name, _ in variants}
            cpu: dict[str, list[float]] = {name: [] for name, _ in variants}
            n = q * args.unrolls
            for rep in range(args.reps):
                k = rep % len(variants)
                for name, fn in variants[k:] + variants[:k]:
                    # process CPU (client, framework, store and the in-process server alike):
                    # less sensitive than wall time to other jobs on a shared machine
                    c0 = time.process_time()
                    rates[name].append(fn())
                    cpu[name].append((time.process_time() - c0) / n * 1e3)
            base = statistics.median(rates["openai loop"])
            base_cpu = statistics.median(cpu["openai loop"])
            for name, _ in variants:
                med = statistics.median(rates[name])
                ms = statistics.median(cpu[name])
                print(f"{c:>9}  {name:<12} {med:>10.0f}  {med / base:>13.2f}x  "
                      f"{ms:>9.2f}  {ms / base_cpu:>8.2f}x")  # fmt: skip
        print(f"server answered {len(srv.calls)} requests; max {srv.max_in_flight} in flight")


if __name__ == "__main__":
    main()
