"""Signed thinking blocks survive the response cache: a cached turn is sent back as a live one.

Each run is a two-turn tool-use loop built the way the agent loop builds it (the assistant
turn from text, reasoning and tool calls only), with the real anthropic SDK against the
scripted server; the assertions are on what the server received.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentbench.models.base import Model
from agentbench.records import Message, ModelRequest, ModelResponse, ToolCall, ToolSpec, Usage
from agentbench.servers.scripted import Reply, ScriptedServer
from agentbench.servers.scripted.types import ScriptedCall

from .helpers import complete, model_for

pytestmark = pytest.mark.usefixtures("key_env")

BASH = ToolSpec(
    name="bash",
    description="run a command",
    parameters={"type": "object", "properties": {"command": {"type": "string"}}},
)
USAGE = Usage(input_tokens=300, output_tokens=40, cached_tokens=100)


def responder(call: ScriptedCall) -> Reply:
    """A tool call with signed and redacted thinking (per seed), then "done" after the tool."""
    if call.messages and call.messages[-1].role == "tool":
        return Reply(text="done")
    seed = call.seed
    return Reply(
        text="",
        reasoning=f"list the files first ({seed})",
        signature=f"sig-{seed}-Zm9v",
        redacted=[f"opaque-{seed}"],
        tool_calls=[ToolCall(id=f"toolu_{seed}", name="bash", arguments={"command": "ls"})],
        usage=USAGE,
    )


def tool_loop(model: Model, seed: int, observation: str) -> list[ModelResponse]:
    """Two turns: ask, run the tool call (observation given), send the result back."""
    history = [Message(role="user", content="fix f.py")]
    first = complete(model, ModelRequest(model="x", messages=history, tools=[BASH], seed=seed))
    # the agent loop's assistant turn: no provider state copied
    history.append(
        Message(
            role="assistant",
            content=first.text,
            reasoning=first.reasoning,
            tool_calls=first.tool_calls,
        )
    )
    history.append(Message(role="tool", content=observation, tool_call_id=first.tool_calls[0].id))
    second = complete(model, ModelRequest(model="x", messages=history, tools=[BASH], seed=seed))
    return [first, second]


def assistant_sent(call: ScriptedCall) -> list[dict[str, Any]]:
    """The content blocks of the assistant turn in a received follow-up request."""
    (turn,) = [m for m in call.raw["messages"] if m["role"] == "assistant"]
    blocks: list[dict[str, Any]] = turn["content"]
    return blocks


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("provider", ["anthropic", "litellm-anthropic"])
def test_follow_up_after_a_cache_hit_carries_the_signed_blocks(
    provider: str, stream: bool, tmp_path: Path
) -> None:
    kw: dict[str, Any] = {"reasoning_budget": 1024, "extra": {"stream": stream}}
    with ScriptedServer(responder) as srv:
        # without the cache: what a live follow-up looks like
        live = tool_loop(model_for(provider, srv, **kw), 5, "f.py")
        live_follow_up = srv.calls[-1]
        # first cached run populates the cache (another tool output than the last run)
        populate = model_for(provider, srv, cache=True, cache_dir=str(tmp_path), **kw)
        stored = tool_loop(populate, 5, "f.py\ng.py")[0]
        populate.close()
        n = len(srv.calls)
        # second run, a fresh model (as in a resumed process): turn 1 is a hit
        model = model_for(provider, srv, cache=True, cache_dir=str(tmp_path), **kw)
        cached = tool_loop(model, 5, "f.py")
        model.close()
    assert len(srv.calls) == n + 1, "turn 1 served from the cache, the follow-up sent"
    assert cached[0].cached and not cached[1].cached
    follow_up = srv.calls[-1]
    seed = None if provider.startswith("litellm") else 5  # litellm drops Anthropic's seed
    assert follow_up.stream == stream and follow_up.seed == seed
    expected = [
        {
            "type": "thinking",
            "thinking": f"list the files first ({seed})",
            "signature": f"sig-{seed}-Zm9v",
        },
        {"type": "redacted_thinking", "data": f"opaque-{seed}"},
        {"type": "tool_use", "id": f"toolu_{seed}", "name": "bash", "input": {"command": "ls"}},
    ]
    assert assistant_sent(live_follow_up) == expected
    # the whole follow-up request is the one the live run sent
    assert follow_up.raw == live_follow_up.raw
    # the hit carries everything the live response did
    same = {"text", "reasoning", "tool_calls", "usage", "cost_usd", "finish_reason", "model"}
    assert cached[0].model_dump(include=same) == live[0].model_dump(include=same)
    assert cached[0].cost_usd is not None and cached[0].usage.cached_tokens == 100
    state = cached[0].provider_state or {}
    wire = "anthropic" if provider == "anthropic" else "openai"
    assert state[wire]["thinking_blocks"] == expected[:2]
    if provider == "anthropic":  # ... and is the stored response, message id included
        assert state["anthropic"]["id"] == "msg_2"
    volatile = {"cached", "latency_s", "retries"}
    assert cached[0].model_dump(exclude=volatile) == stored.model_dump(exclude=volatile)


def test_cached_turns_of_other_seeds_keep_their_own_signatures(tmp_path: Path) -> None:
    with ScriptedServer(responder) as srv:
        warm = model_for("anthropic", srv, cache=True, cache_dir=str(tmp_path))
        for seed in (1, 2):
            complete(warm, ModelRequest(model="x", messages=[Message(role="user", content="fix f.py")],
                             tools=[BASH], seed=seed)
            )  # fmt: skip
        warm.close()
        model = model_for("anthropic", srv, cache=True, cache_dir=str(tmp_path))
        for seed in (2, 1):
            tool_loop(model, seed, f"out {seed}")
        model.close()
    follow_ups = [c for c in srv.calls if c.messages[-1].role == "tool"]
    assert [c.seed for c in follow_ups] == [2, 1]
    for call in follow_ups:
        sent = assistant_sent(call)
        assert sent[0]["signature"] == f"sig-{call.seed}-Zm9v"
        assert sent[1] == {"type": "redacted_thinking", "data": f"opaque-{call.seed}"}


def test_a_turn_that_carries_its_state_needs_no_memory_of_it() -> None:
    # a replayed trajectory: the response was recorded, this model never returned it
    with ScriptedServer(responder) as srv:
        recorded = complete(
            model_for("anthropic", srv),
            ModelRequest(model="x", messages=[Message(role="user", content="go")], seed=9),
        )
        fresh = model_for("anthropic", srv)
        turn = Message(
            role="assistant",
            content=recorded.text,
            reasoning=recorded.reasoning,
            tool_calls=recorded.tool_calls,
        )
        history = [
            Message(role="user", content="go"),
            turn.model_copy(update={"provider_state": recorded.provider_state}),
            Message(role="tool", content="x", tool_call_id="toolu_9"),
        ]
        complete(fresh, ModelRequest(model="x", messages=history))
        history[1] = turn  # no state, never seen by this model: no blocks at all
        complete(fresh, ModelRequest(model="x", messages=history))
    assert [b["type"] for b in assistant_sent(srv.calls[1])] == [
        "thinking",
        "redacted_thinking",
        "tool_use",
    ]
    assert [b["type"] for b in assistant_sent(srv.calls[2])] == ["tool_use"]


def test_redacted_only_turn_goes_back() -> None:
    # no readable reasoning at all: the turn is still recognised by its tool call
    replies = [
        Reply(redacted=["opaque"], tool_calls=[ToolCall(id="toolu_r", name="bash", arguments={})]),
        Reply(text="done"),
    ]
    with ScriptedServer.from_replies(replies) as srv:
        model = model_for("anthropic", srv, reasoning_budget=1024)
        first = complete(
            model, ModelRequest(model="x", messages=[Message(role="user", content="go")])
        )
        assert first.reasoning is None
        history = [
            Message(role="user", content="go"),
            Message(role="assistant", content=first.text, tool_calls=first.tool_calls),
            Message(role="tool", content="x", tool_call_id="toolu_r"),
        ]
        complete(model, ModelRequest(model="x", messages=history))
    assert assistant_sent(srv.calls[1])[0] == {"type": "redacted_thinking", "data": "opaque"}


_POPULATE = """
import asyncio
import sys

from agentbench.config import ModelConfig
from agentbench.models.factory import make_model
from agentbench.records import Message, ModelRequest, ToolSpec

base_url, cache_dir, key_env = sys.argv[1:4]
cfg = ModelConfig(
    provider="anthropic", name="claude-sonnet-4-20250514", base_url=base_url,
    api_key_env=key_env, cache=True, cache_dir=cache_dir, reasoning_budget=1024,
    extra={"metadata_note": {"b": 1, "a": [1, 2]}},
)
model = make_model(cfg)
bash = ToolSpec.model_validate_json(sys.argv[4])
req = ModelRequest(model="x", messages=[Message(role="user", content="fix f.py")],
                   tools=[bash], seed=7)
resp = asyncio.run(model.acomplete(req))
assert not resp.cached
print(model.cache_key(model.effective(req), None))
model.close()
"""


def test_another_process_fills_the_cache_this_one_hits_it(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from .helpers import KEY_ENV, config

    with ScriptedServer(responder) as srv:
        env = {**os.environ, "PYTHONHASHSEED": "4242"}  # another hash seed than ours
        out = subprocess.run(
            [sys.executable, "-c", _POPULATE, srv.base_url, str(tmp_path), KEY_ENV,
             BASH.model_dump_json()],
            env=env, capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        assert len(srv.calls) == 1
        from agentbench.models.factory import make_model

        cfg = config(
            "anthropic",
            srv,
            cache=True,
            cache_dir=str(tmp_path),
            reasoning_budget=1024,
            # the same extra body, written in another key order
            extra={"metadata_note": {"a": [1, 2], "b": 1}},
        )
        model = make_model(cfg)
        req = ModelRequest(model="x", messages=[Message(role="user", content="fix f.py")], seed=7)
        assert model.cache_key(model.effective(req.model_copy(update={"tools": [BASH]})), None) == (
            out.stdout.strip()
        )
        first, _ = tool_loop(model, 7, "f.py")
        model.close()
    assert first.cached and len(srv.calls) == 2
    assert assistant_sent(srv.calls[1])[0]["signature"] == "sig-7-Zm9v"


def test_stream_accumulator_joins_thinking_block_pieces_by_index() -> None:
    from agentbench.models.openai_wire import StreamAccumulator

    acc = StreamAccumulator()
    pieces = [
        {"type": "thinking", "thinking": "think ", "index": 0},
        {"type": "thinking", "thinking": "hard", "index": 0},
        {"type": "thinking", "thinking": "", "signature": "SIG", "index": 0},
        {"type": "redacted_thinking", "data": "RED", "index": 1},
    ]
    for p in pieces:
        acc.add({"choices": [{"delta": {"thinking_blocks": [p]}}]})
    acc.add({"choices": [{"delta": {"content": "ok"}, "finish_reason": "stop"}]})
    assert acc.result().provider_state == {
        "openai": {
            "thinking_blocks": [
                {"type": "thinking", "thinking": "think hard", "signature": "SIG"},
                {"type": "redacted_thinking", "data": "RED"},
            ]
        }
    }


@pytest.mark.parametrize("provider", ["openai", "lean"])
def test_openai_wire_sends_thinking_blocks_only_where_the_server_gave_some(provider: str) -> None:
    blocks = [{"type": "thinking", "thinking": "t", "signature": "S"}]
    turn = Message(role="assistant", content="ok")
    with ScriptedServer.from_replies([Reply(text="fine")]) as srv:
        model = model_for(provider, srv)
        for state in ({"openai": {"thinking_blocks": blocks}}, None):
            history = [
                Message(role="user", content="hi"),
                turn.model_copy(update={"provider_state": state}),
                Message(role="user", content="more"),
            ]
            complete(model, ModelRequest(model="x", messages=history))
    with_state, without = (c.raw["messages"][1] for c in srv.calls)
    assert with_state["thinking_blocks"] == blocks
    assert "thinking_blocks" not in without
