"""What the response cache and the provider-state memory cost per call.

Each figure is printed beside a baseline measured in the same run (medians of --reps):
- a cache hit through make_model (lean client) vs a live call to the scripted server and vs
  a bare SQLite primary-key SELECT on the same file;
- a cache miss+store vs the live call alone;
- building an Anthropic request with a long history whose turns are recalled from the
  model's memory (signed thinking blocks) vs the same history converted without them.

    .venv/bin/python bench/models_cache.py [--n 300] [--reps 5] [--turns 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from agentbench.config import ModelConfig
from agentbench.logging import configure
from agentbench.models.anthropic_model import AnthropicModel, to_anthropic_messages
from agentbench.models.factory import make_model
from agentbench.records import Message, ModelRequest, ModelResponse, ToolCall
from agentbench.servers.scripted import Reply, ScriptedServer


def per_op_us(fn: Callable[[int], object], n: int, reps: int) -> float:
    """Median over `reps` runs of the mean microseconds per call of fn(i), i < n."""
    runs = []
    for r in range(reps):
        t0 = time.perf_counter()
        for i in range(n):
            fn(r * n + i)
        runs.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(runs)


def ask(i: int) -> ModelRequest:
    """A distinct one-message request."""
    return ModelRequest(model="m", messages=[Message(role="user", content=f"question {i}")])


def cache_figures(n: int, reps: int) -> None:
    """Hit, miss+store and live call, through make_model with the lean client."""
    with (
        ScriptedServer.from_replies([Reply(text="an answer")]) as srv,
        tempfile.TemporaryDirectory() as d,
    ):
        base = {"provider": "scripted", "name": "m", "base_url": srv.base_url}
        live = make_model(ModelConfig(**base, extra={"client": "lean"}))
        cached = make_model(ModelConfig(**base, cache=True, cache_dir=d, extra={"client": "lean"}))
        loop = asyncio.new_event_loop()  # one loop for every call, so clients are reused
        live_us = per_op_us(lambda i: loop.run_until_complete(live.acomplete(ask(i))), n, reps)
        # all new: miss + store
        miss_us = per_op_us(lambda i: loop.run_until_complete(cached.acomplete(ask(i))), n, reps)
        hit_us = per_op_us(lambda i: loop.run_until_complete(cached.acomplete(ask(i % n))), n, reps)
        loop.run_until_complete(live.aclose())
        loop.run_until_complete(cached.aclose())
        loop.close()
        db = sqlite3.connect(os.path.join(d, "responses.sqlite"))
        keys = [k for (k,) in db.execute("SELECT key FROM responses LIMIT ?", (n,))]
        sel_us = per_op_us(
            lambda i: db.execute(
                "SELECT response FROM responses WHERE key = ?", (keys[i % len(keys)],)
            ).fetchone(),
            n,
            reps,
        )
        db.close()
        live.close()
        cached.close()
    print(f"live call (lean, scripted server)   {live_us:9.1f} us   (baseline)")
    print(f"cache miss + store                  {miss_us:9.1f} us   {miss_us / live_us:5.2f}x live")
    print(f"cache hit                           {hit_us:9.1f} us   {hit_us / live_us:5.2f}x live")
    print(
        f"bare SQLite SELECT, same file       {sel_us:9.1f} us   hit = {hit_us / sel_us:5.1f}x it"
    )


def memory_figures(turns: int, n: int, reps: int) -> None:
    """Anthropic request building with signed blocks recalled for every assistant turn."""
    cfg = ModelConfig(provider="anthropic", name="claude-sonnet-4-20250514")
    model = AnthropicModel(cfg, api_key="unused", base_url="http://127.0.0.1:9")
    history = [Message(role="user", content="fix the bug")]
    for t in range(turns):
        calls = [ToolCall(id=f"toolu_{t}", name="bash", arguments={"command": f"cat f{t}.py"})]
        resp = ModelResponse(
            reasoning="let me think about this step " * 20,
            tool_calls=calls,
            provider_state={
                "anthropic": {
                    "thinking_blocks": [
                        {"type": "thinking", "thinking": "...", "signature": "s" * 400}
                    ]
                }
            },
        )
        model.turns.remember(resp)
        history.append(Message(role="assistant", reasoning=resp.reasoning, tool_calls=calls))
        history.append(Message(role="tool", content="output " * 100, tool_call_id=f"toolu_{t}"))
    req = ModelRequest(model="m", messages=history)
    plain_us = per_op_us(lambda i: to_anthropic_messages(req.messages), n, reps)
    recall_us = per_op_us(lambda i: model.build(req), n, reps)
    sent = model.build(req)["messages"]
    n_signed = sum(
        1 for m in sent if m["role"] == "assistant" and m["content"][0]["type"] == "thinking"
    )
    print(
        f"Anthropic request, {turns} turns: no blocks {plain_us:8.1f} us (baseline); "
        f"blocks recalled for {n_signed} turns {recall_us:8.1f} us "
        f"({recall_us / plain_us:4.2f}x, {(recall_us - plain_us) / turns:5.1f} us/turn)"
    )


def main() -> None:
    """Print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300, help="calls per run")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--turns", type=int, default=50, help="assistant turns in the history")
    a = ap.parse_args()
    configure("WARNING")
    cache_figures(a.n, a.reps)
    memory_figures(a.turns, 200, a.reps)


if __name__ == "__main__":
    main()
