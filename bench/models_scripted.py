"""Requests/s through the scripted server at 1 and 64 in flight.

Each figure is printed beside baselines measured in the same run: raw aiohttp posts (the
server's own ceiling), raw httpx posts, and the bare openai SDK client (so make_model / SDK is
what our wrapper adds: gate, retries, cost); "make_model lean" is `extra: {client: lean}`.
Medians of --reps runs.

    .venv/bin/python bench/models_scripted.py [--n 2000] [--reps 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import httpx
import openai

from agentbench.config import ModelConfig
from agentbench.logging import configure
from agentbench.models.factory import make_model
from agentbench.records import Message, ModelRequest
from agentbench.servers.scripted import Reply, ScriptedServer

BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "say something"}]}


async def _drive(call: Callable[[], Awaitable[object]], n: int, in_flight: int) -> float:
    """Run `call` n times with `in_flight` workers; returns requests per second."""
    left = n

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await call()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return n / (time.perf_counter() - t0)


async def _raw_aiohttp(url: str, n: int, in_flight: int) -> float:
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=in_flight)) as ac:

        async def call() -> None:
            async with ac.post(url + "/v1/chat/completions", json=BODY) as r:
                r.raise_for_status()
                await r.read()

        return await _drive(call, n, in_flight)


async def _raw_httpx(url: str, n: int, in_flight: int) -> float:
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(base_url=url, limits=limits) as hc:

        async def call() -> None:
            (await hc.post("/v1/chat/completions", json=BODY)).raise_for_status()

        return await _drive(call, n, in_flight)


async def _openai_sdk(url: str, n: int, in_flight: int) -> float:
    sdk = openai.AsyncOpenAI(base_url=url + "/v1", api_key="k", max_retries=0)

    async def call() -> None:
        await sdk.chat.completions.create(**BODY)  # type: ignore[arg-type]

    try:
        return await _drive(call, n, in_flight)
    finally:
        await sdk.close()


async def _make_model(url: str, n: int, in_flight: int, client: str = "sdk") -> float:
    cfg = ModelConfig(
        provider="scripted",
        name="gpt-4o-mini",
        base_url=url,
        max_concurrency=in_flight,
        extra={"client": client},
    )
    model = make_model(cfg)
    req = ModelRequest(
        model="gpt-4o-mini", messages=[Message(role="user", content="say something")]
    )

    async def call() -> None:
        await model.acomplete(req)

    try:
        return await _drive(call, n, in_flight)
    finally:
        await model.aclose()


VARIANTS = {
    "raw aiohttp": _raw_aiohttp,
    "raw httpx": _raw_httpx,
    "openai SDK": _openai_sdk,
    "make_model": _make_model,
    "make_model lean": lambda url, n, k: _make_model(url, n, k, client="lean"),
}


async def _one_round(url: str, n: int, in_flight: int, rep: int) -> dict[str, float]:
    # rotate the order each rep: on a shared machine, load drifts within a round
    names = list(VARIANTS)
    k = rep % len(names)
    return {name: await VARIANTS[name](url, n, in_flight) for name in names[k:] + names[:k]}


def main() -> None:
    """Print the table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000, help="requests per run at 64 in flight")
    ap.add_argument("--reps", type=int, default=4)
    args = ap.parse_args()
    configure("ERROR")
    with ScriptedServer.from_replies([Reply(text="a short scripted answer")]) as srv:
        for in_flight in (1, 64):
            n = args.n if in_flight > 1 else max(200, args.n // 4)
            runs = [
                asyncio.run(_one_round(srv.base_url, n, in_flight, r)) for r in range(args.reps)
            ]
            med = {k: statistics.median(r[k] for r in runs) for k in VARIANTS}
            base = med["raw aiohttp"]
            print(f"in flight {in_flight:>3} ({n} requests x {args.reps} runs, median req/s):")
            for k, v in med.items():
                print(f"  {k:<16} {v:8.0f} req/s   {v / base:5.2f}x raw aiohttp")
            print(f"  make_model / openai SDK = {med['make_model'] / med['openai SDK']:.2f}")
            print(
                f"  make_model lean / make_model = {med['make_model lean'] / med['make_model']:.2f}"
            )


if __name__ == "__main__":
    main()
