"""Cost (known vs unknown), the response cache, and the per-model concurrency limit."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from agentbench.config import ModelConfig
from agentbench.errors import DataError
from agentbench.models.cache import ResponseCache
from agentbench.models.gate import Gate
from agentbench.models.pricing import Price, cost_usd, lookup, price_for
from agentbench.records import Usage
from agentbench.servers.scripted import Reply, ScriptedServer

from .helpers import ask, complete, model_for

pytestmark = pytest.mark.usefixtures("key_env")

USAGE = Usage(
    input_tokens=1_000_000, output_tokens=200_000, reasoning_tokens=50_000, cached_tokens=400_000
)


def test_known_price_cost_from_provider_usage() -> None:
    with ScriptedServer.from_replies([Reply(text="ok", usage=USAGE)]) as srv:
        resp = complete(model_for("openai", srv, name="gpt-4o-mini"), ask())
    # gpt-4o-mini: $0.15 in, $0.075 cached in, $0.60 out per Mtok
    assert resp.cost_usd == pytest.approx(0.6 * 0.15 + 0.4 * 0.075 + 0.2 * 0.60)


@pytest.mark.parametrize("provider", ["openai", "anthropic", "litellm"])
def test_unknown_price_is_none_not_zero(provider: str) -> None:
    with ScriptedServer.from_replies([Reply(text="ok", usage=USAGE)]) as srv:
        resp = complete(model_for(provider, srv, name="house-model-v0"), ask())
    assert resp.cost_usd is None
    assert resp.usage.output_tokens == 200_000


def test_config_price_override_beats_the_table() -> None:
    with ScriptedServer.from_replies([Reply(text="ok", usage=USAGE)]) as srv:
        resp = complete(
            model_for(
                "openai",
                srv,
                name="house-model-v0",
                price_input_per_mtok=1.0,
                price_output_per_mtok=2.0,
            ),
            ask(),
        )
    assert resp.cost_usd == pytest.approx(1.0 * 1.0 + 0.2 * 2.0)


def test_price_lookup_order_and_name_forms() -> None:
    assert lookup("claude-sonnet-4-20250514") == lookup("anthropic/claude-sonnet-4") is not None
    assert lookup("gpt-4o-2024-08-06") == lookup("gpt-4o")
    # not in the bundled table: found in litellm's (local) cost map
    from agentbench.models.pricing import BUNDLED

    assert "gpt-3.5-turbo" not in BUNDLED
    p = lookup("gpt-3.5-turbo")
    assert p is not None and p.input > 0
    assert lookup("no-such-model-xyz") is None
    half = ModelConfig(provider="openai", name="no-such-model-xyz", price_input_per_mtok=1.0)
    assert price_for(half) is None  # output price unknown → the cost is unknown
    assert cost_usd(None, USAGE) is None
    assert cost_usd(Price(input=0, output=0), USAGE) == 0.0


def test_cache_serves_second_call_and_seed_index_changes_key(tmp_path: Path) -> None:
    replies = [Reply(text=f"answer {i}") for i in range(5)]
    with ScriptedServer.from_replies(replies) as srv:
        model = model_for("openai", srv, cache=True, cache_dir=str(tmp_path))
        first = complete(model, ask("q"), seed_index=0)
        again = complete(model, ask("q"), seed_index=0)
        other_seed = complete(model, ask("q"), seed_index=1)
        other_req = complete(model, ask("q2"), seed_index=0)
        assert len(srv.calls) == 3
        # a new Model on the same folder (a resumed run) is served from the file
        resumed = complete(
            model_for("openai", srv, cache=True, cache_dir=str(tmp_path)), ask("q"), seed_index=0
        )
        assert len(srv.calls) == 3
    assert (first.text, first.cached) == ("answer 0", False)
    assert (again.text, again.cached) == ("answer 0", True)
    assert again.cost_usd == first.cost_usd and again.usage == first.usage
    assert other_seed.text == "answer 1" and other_req.text == "answer 2"
    assert resumed.text == "answer 0" and resumed.cached


def test_cache_is_off_by_default(
    server: ScriptedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTBENCH_CACHE_DIR", str(tmp_path))
    model = model_for("openai", server)
    complete(model, ask(), seed_index=0)
    complete(model, ask(), seed_index=0)
    assert len(server.calls) == 2
    assert not any(tmp_path.rglob("*.sqlite"))


def test_corrupt_cache_file_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "responses.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DataError) as info:
        ResponseCache(tmp_path)
    assert "responses.sqlite" in str(info.value)
    # one unreadable entry is a miss (tests/models/test_cache_integrity.py), not an error
    good = tmp_path / "good"
    cache = ResponseCache(good)
    with sqlite3.connect(cache.path) as db:
        db.execute("INSERT INTO responses VALUES ('k', '{broken', 0)")
    assert cache.get("k") is None and len(cache) == 0


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_concurrency_limit_holds_at_the_server(provider: str) -> None:
    with ScriptedServer.from_replies([Reply(text="slow", delay_s=0.05)]) as srv:
        model = model_for(provider, srv, max_concurrency=3)

        async def burst() -> None:
            await asyncio.gather(*(model.acomplete(ask()) for _ in range(24)))

        asyncio.run(burst())
    assert len(srv.calls) == 24
    assert srv.max_in_flight == 3


def test_concurrency_limit_holds_across_threads_and_loops() -> None:
    with ScriptedServer.from_replies([Reply(text="slow", delay_s=0.03)]) as srv:
        model = model_for("openai", srv, max_concurrency=2)

        def worker() -> None:
            async def run() -> None:
                await asyncio.gather(*(model.acomplete(ask()) for _ in range(4)))

            asyncio.run(run())  # each thread its own loop, sharing one model

        threads = [threading.Thread(target=worker) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(srv.calls) == 12
    assert srv.max_in_flight == 2


def test_gate_passes_on_slots_of_cancelled_waiters() -> None:
    async def run() -> int:
        gate = Gate(1)
        await gate.acquire()
        waiter = asyncio.create_task(gate.acquire())
        await asyncio.sleep(0)
        waiter.cancel()
        gate.release()
        await asyncio.sleep(0.01)
        await asyncio.wait_for(gate.acquire(), 1)  # the slot was not lost
        return gate.in_use

    assert asyncio.run(run()) == 1


@pytest.mark.parametrize("provider", ["openai", "anthropic", "lean"])
def test_per_run_event_loops_leave_no_connection_open(provider: str) -> None:
    import time

    with ScriptedServer.from_replies([Reply(text="ok")]) as srv:
        model = model_for(provider, srv)
        for _ in range(3):
            asyncio.run(model.acomplete(ask()))  # an executor's per-unroll loop
        model.close()
        deadline = time.monotonic() + 5
        while srv.open_connections and time.monotonic() < deadline:
            time.sleep(0.01)
        assert srv.open_connections == 0


def test_concurrency_limit_is_shared_by_models_made_from_one_config() -> None:
    with ScriptedServer.from_replies([Reply(text="slow", delay_s=0.03)]) as srv:
        # a task that calls make_model once per sample still gets one limit per model
        models = [model_for("openai", srv, max_concurrency=2) for _ in range(4)]
        other = model_for("openai", srv, max_concurrency=2, name="gpt-4o")  # another model

        async def burst() -> None:
            await asyncio.gather(*(m.acomplete(ask()) for m in models for _ in range(3)))

        asyncio.run(burst())
        assert srv.max_in_flight == 2
        assert other.gate is not models[0].gate and models[1].gate is models[0].gate
