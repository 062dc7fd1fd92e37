"""make_model over the openai, anthropic and litellm clients, against the scripted server."""

from __future__ import annotations

import time

import pytest

from agentbench.errors import ConfigError, EnvironmentProblem, InfraError
from agentbench.models.factory import make_model
from agentbench.records import Message, ModelRequest, ToolCall, ToolSpec, Usage
from agentbench.servers.scripted import Fault, Reply, ScriptedServer

from .helpers import FAST, KEY_ENV, PROVIDERS, ask, complete, config, model_for, wire_of

TOOL = ToolCall(id="call_7", name="bash", arguments={"command": "sed -i 's/x/y/' f.py"})
BASH = ToolSpec(
    name="bash",
    description="run a command",
    parameters={"type": "object", "properties": {"command": {"type": "string"}}},
)

pytestmark = pytest.mark.usefixtures("key_env")


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_text_reasoning_tool_calls_and_usage(provider: str, stream: bool) -> None:
    usage = Usage(input_tokens=120, output_tokens=50, reasoning_tokens=30, cached_tokens=20)
    replies = [Reply(text="let me look", reasoning="think first", tool_calls=[TOOL], usage=usage)]
    with ScriptedServer.from_replies(replies) as srv:
        model = model_for(provider, srv, extra={"stream": stream})
        resp = complete(model, ask("fix f.py", seed=3, tools=[BASH]))
    assert resp.text == "let me look"
    assert resp.tool_calls == [TOOL]
    assert resp.finish_reason == "tool_calls"
    assert resp.retries == 0 and not resp.cached
    assert resp.reasoning == "think first"
    if provider == "anthropic":
        # Anthropic reports no separate reasoning count; cache reads come back as cached input
        assert resp.usage == Usage(input_tokens=120, output_tokens=50, cached_tokens=20)
    elif provider == "litellm-anthropic":
        # litellm estimates the reasoning count from the thinking text
        assert resp.usage.model_dump(exclude={"reasoning_tokens"}) == Usage(
            input_tokens=120, output_tokens=50, cached_tokens=20
        ).model_dump(exclude={"reasoning_tokens"})
    else:
        assert resp.usage == usage
    call = srv.calls[0]
    assert call.api == wire_of(provider)
    # litellm drops the seed for Anthropic, whose API has none
    assert call.seed == (None if provider == "litellm-anthropic" else 3)
    assert call.tools == ["bash"] and call.stream == stream
    assert call.messages[-1] == Message(role="user", content="fix f.py")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_request_settings_reach_the_wire(provider: str) -> None:
    with ScriptedServer.from_replies([Reply(text="ok")]) as srv:
        model = model_for(provider, srv, temperature=0.7, top_p=0.9, max_tokens=64)
        history = [
            Message(role="system", content="be terse"),
            Message(role="user", content="go"),
            Message(role="assistant", content="", tool_calls=[TOOL]),
            Message(role="tool", content="done", tool_call_id="call_7"),
        ]
        complete(model, ModelRequest(model="ignored", messages=history, stop=["END"]))
    call = srv.calls[0]
    raw = call.raw
    assert raw["temperature"] == 0.7 and raw["top_p"] == 0.9
    assert [m.role for m in call.messages] == ["system", "user", "assistant", "tool"]
    assert call.messages[2].tool_calls[0].arguments == TOOL.arguments
    assert call.messages[3].tool_call_id == "call_7"
    if wire_of(provider) == "anthropic":
        assert raw["max_tokens"] == 64 and raw["stop_sequences"] == ["END"]
        assert raw["model"] == "claude-sonnet-4-20250514"
    else:
        assert 64 in (raw.get("max_tokens"), raw.get("max_completion_tokens"))
        assert raw["stop"] == ["END"] and raw["model"] == "gpt-4o-mini"


def test_reasoning_budget_and_effort_on_the_wire() -> None:
    with ScriptedServer.from_replies([Reply(text="ok")]) as srv:
        complete(model_for("anthropic", srv, reasoning_budget=2000), ask())
        complete(model_for("openai", srv, reasoning_effort="high"), ask())
    assert srv.calls[0].raw["thinking"] == {"type": "enabled", "budget_tokens": 2000}
    assert srv.calls[0].raw["max_tokens"] > 2000
    assert srv.calls[1].raw["reasoning_effort"] == "high"


FAULTS = [
    Fault(kind="429", retry_after=0.01),
    Fault(kind="500"),
    Fault(kind="hang"),
    Fault(kind="malformed"),
    Fault(kind="drop"),
]


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("fault", FAULTS, ids=[f.kind for f in FAULTS])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_fault_is_retried_and_counted(provider: str, fault: Fault, stream: bool) -> None:
    with ScriptedServer.from_replies([Reply(text="recovered")]) as srv:
        model = model_for(provider, srv, timeout_s=0.5, extra={"stream": stream})
        srv.inject(fault.model_copy(update={"count": 2}))
        resp = complete(model, ask())
    assert resp.text == "recovered"
    assert resp.retries == 2
    assert srv.n_requests == 3 and len(srv.calls) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_retry_after_is_honoured(provider: str) -> None:
    times: list[float] = []

    def responder(call: object) -> Reply:
        times.append(time.monotonic())
        return Reply(text="ok")

    with ScriptedServer(responder) as srv:
        model = model_for(provider, srv)
        srv.inject(Fault(kind="429", retry_after=0.6))
        t0 = time.monotonic()
        resp = complete(model, ask())
    assert resp.retries == 1
    # backoff alone is <= 0.05 s (FAST); only retry-after explains the wait
    assert times[0] - t0 >= 0.6


@pytest.mark.parametrize("provider", PROVIDERS)
def test_exhausted_retries_raise_infra_error(provider: str) -> None:
    with ScriptedServer.from_replies([Reply(text="never")]) as srv:
        model = model_for(provider, srv, max_retries=2)
        srv.inject(Fault(kind="500", count=10))
        with pytest.raises(InfraError) as info:
            complete(model, ask())
    assert info.value.reason == "model_api"
    assert "gave up after 2 retries" in str(info.value)
    assert srv.n_requests == 3 and srv.calls == []


def test_no_retries_allowed_gives_up_at_the_first_fault(server: ScriptedServer) -> None:
    model = model_for("openai", server, max_retries=0)
    server.inject(Fault(kind="drop"))
    with pytest.raises(InfraError, match="gave up after 0 retries"):
        complete(model, ask())
    assert server.n_requests == 1
    assert complete(model, ask()).retries == 0


def test_retries_are_logged_with_reason(server: ScriptedServer) -> None:
    import structlog

    model = model_for("openai", server)
    server.inject(Fault(kind="429", retry_after=0.01))
    server.inject(Fault(kind="drop"))
    with structlog.testing.capture_logs() as logs:
        complete(model, ask())
    retries = [e for e in logs if e["event"] == "model_retry"]
    assert [e["reason"] for e in retries] == ["rate_limit", "connection"]
    assert [e["attempt"] for e in retries] == [1, 2]
    assert retries[0]["status"] == 429


def test_client_error_is_not_retried(server: ScriptedServer) -> None:
    from agentbench.models.retry import ModelRequestError

    model = make_model(
        config("openai", server).model_copy(update={"base_url": server.base_url + "/v1/nope"}),
        retry_policy=FAST,
    )
    with pytest.raises(ModelRequestError) as info:
        complete(model, ask())
    assert info.value.status == 404 and server.n_requests == 0


def test_missing_key_names_the_variable(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(EnvironmentProblem) as info:
        make_model(config("openai", server))
    assert KEY_ENV in str(info.value)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(EnvironmentProblem, match="ANTHROPIC_API_KEY"):
        make_model(config("anthropic", server).model_copy(update={"api_key_env": None}))


def test_key_never_reaches_logs(
    server: ScriptedServer,
    key_env: str,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    import logging

    import structlog

    from .helpers import KEY

    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as logs:
        for provider in PROVIDERS:
            model = model_for(provider, server, max_retries=1)
            server.inject(Fault(kind="429", retry_after=0.01))
            complete(model, ask())
            server.inject(Fault(kind="500", count=2))
            with pytest.raises(InfraError) as info:
                complete(model, ask())
            assert KEY not in str(info.value) and KEY not in repr(model)
    out, err = capfd.readouterr()
    assert logs and caplog.records
    assert KEY not in repr(logs)
    assert KEY not in caplog.text
    assert KEY not in out + err


@pytest.mark.parametrize(
    ("update", "field"),
    [
        ({"provider": "openai", "top_k": 5}, "model.top_k"),
        ({"max_concurrency": 0}, "model.max_concurrency"),
        ({"reasoning_budget": 1000, "max_tokens": 500}, "model.max_tokens"),
        ({"provider": "scripted", "base_url": None}, "model.base_url"),
        ({"extra": {"wire": "grpc"}}, "model.extra.wire"),
        ({"extra": {"client": "fast"}}, "model.extra.client"),
        ({"provider": "anthropic", "extra": {"client": "lean"}}, "model.extra.client"),
    ],
)
def test_bad_model_config_is_a_config_error(
    server: ScriptedServer, update: dict, field: str
) -> None:
    cfg = config("openai", server).model_copy(update=update)
    with pytest.raises(ConfigError) as info:
        make_model(cfg)
    assert info.value.field == field


def test_scripted_provider_speaks_both_wires(server: ScriptedServer) -> None:
    from agentbench.config import ModelConfig

    oa = make_model(ModelConfig(provider="scripted", name="s", base_url=server.base_url))
    an = make_model(
        ModelConfig(
            provider="scripted", name="s", base_url=server.base_url, extra={"wire": "anthropic"}
        )
    )
    assert complete(oa, ask()).text == "hello world"
    assert complete(an, ask()).text == "hello world"
    assert [c.api for c in server.calls] == ["openai", "anthropic"]


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_anthropic_thinking_blocks_go_back_signed(stream: bool) -> None:
    replies = [
        Reply(text="", reasoning="I should list files", tool_calls=[TOOL]),
        Reply(text="done"),
    ]
    with ScriptedServer.from_replies(replies) as srv:
        model = model_for("anthropic", srv, reasoning_budget=1024, extra={"stream": stream})
        first = complete(model, ask("fix it", tools=[BASH]))
        history = [
            Message(role="user", content="fix it"),
            Message(
                role="assistant",
                content=first.text,
                reasoning=first.reasoning,
                tool_calls=first.tool_calls,
            ),
            Message(role="tool", content="f.py", tool_call_id=TOOL.id),
        ]
        complete(model, ModelRequest(model="x", messages=history, tools=[BASH]))
        # reasoning the model never produced is sent without a (made-up) thinking block
        history[1] = history[1].model_copy(update={"reasoning": "someone else's thoughts"})
        complete(model, ModelRequest(model="x", messages=history, tools=[BASH]))
    sent = srv.calls[1].raw["messages"][1]["content"]
    assert sent[0] == {
        "type": "thinking",
        "thinking": "I should list files",
        "signature": "scripted",
    }
    assert [b["type"] for b in sent] == ["thinking", "tool_use"]
    assert [b["type"] for b in srv.calls[2].raw["messages"][1]["content"]] == ["tool_use"]
