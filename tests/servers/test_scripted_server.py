"""The scripted server, driven by the real openai and anthropic SDK clients."""

from __future__ import annotations

import json
from pathlib import Path

import anthropic
import httpx
import openai
import pytest

from agentbench.errors import ConfigError
from agentbench.records import ToolCall, Usage
from agentbench.servers.scripted import Fault, Reply, ScriptedCall, ScriptedServer, load_script

TOOL = ToolCall(id="call_1", name="bash", arguments={"command": "sed -i 's/a/b/' x.py"})


def _oa(srv: ScriptedServer, timeout: float = 5.0) -> openai.OpenAI:
    return openai.OpenAI(base_url=srv.base_url + "/v1", api_key="k", max_retries=0, timeout=timeout)


def _an(srv: ScriptedServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=srv.base_url, api_key="k", max_retries=0, timeout=5.0)


def test_openai_plain_reply_usage_and_call_record() -> None:
    reply = Reply(text="two words", reasoning="a b c")
    with ScriptedServer.from_replies([reply]) as srv:
        out = _oa(srv).chat.completions.create(
            model="m",
            seed=11,
            messages=[
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": "x y"},
            ],
            tools=[{"type": "function", "function": {"name": "bash", "parameters": {}}}],
        )
    assert out.choices[0].message.content == "two words"
    assert out.choices[0].message.model_extra["reasoning_content"] == "a b c"
    # default usage counts whitespace tokens: 4 in; 2 text + 3 reasoning out
    assert (out.usage.prompt_tokens, out.usage.completion_tokens) == (4, 5)
    assert out.usage.completion_tokens_details.reasoning_tokens == 3
    call = srv.calls[0]
    assert (call.api, call.model, call.seed, call.tools, call.index) == (
        "openai",
        "m",
        11,
        ["bash"],
        0,
    )
    assert [m.role for m in call.messages] == ["system", "user"]
    assert call.last().content == "x y"


def test_openai_stream_with_tool_calls_and_usage() -> None:
    with ScriptedServer.from_replies([Reply(text="running it", tool_calls=[TOOL])]) as srv:
        stream = _oa(srv).chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "go"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    args = "".join(
        tc.function.arguments or ""
        for c in chunks
        if c.choices
        for tc in c.choices[0].delta.tool_calls or []
    )
    finish = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert text == "running it"
    assert json.loads(args) == TOOL.arguments
    assert finish == ["tool_calls"]
    assert chunks[-1].usage is not None and chunks[-1].usage.prompt_tokens == 1
    assert srv.calls[0].stream


def test_anthropic_plain_and_stream_with_thinking_and_tools() -> None:
    reply = Reply(
        text="ok",
        reasoning="hmm",
        tool_calls=[TOOL],
        usage=Usage(input_tokens=10, output_tokens=7, cached_tokens=4),
    )
    with ScriptedServer.from_replies([reply]) as srv:
        client = _an(srv)
        msg = client.messages.create(
            model="claude",
            max_tokens=50,
            system="sys",
            metadata={"user_id": "seed-42"},
            messages=[{"role": "user", "content": "do it"}],
        )
        with client.messages.stream(
            model="claude", max_tokens=50, messages=[{"role": "user", "content": "again"}]
        ) as s:
            streamed = s.get_final_message()
    for m in (msg, streamed):
        kinds = [b.type for b in m.content]
        assert kinds == ["thinking", "text", "tool_use"]
        assert m.content[2].input == TOOL.arguments and m.stop_reason == "tool_use"
        assert (m.usage.input_tokens, m.usage.cache_read_input_tokens, m.usage.output_tokens) == (
            6,
            4,
            7,
        )
    assert srv.calls[0].seed == 42 and srv.calls[1].seed is None
    assert [m.role for m in srv.calls[0].messages] == ["system", "user"]


def test_anthropic_history_normalised_to_records() -> None:
    with ScriptedServer.from_replies([Reply(text="done")]) as srv:
        _an(srv).messages.create(
            model="c",
            max_tokens=5,
            messages=[
                {"role": "user", "content": "fix"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "tool_use", "id": "t1", "name": "bash", "input": {"command": "ls"}}
                    ],
                },
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "a.py"}],
                },
            ],
            extra_headers={"x-agentbench-seed": "5"},
        )
    msgs = srv.calls[0].messages
    assert [m.role for m in msgs] == ["user", "assistant", "tool"]
    assert msgs[1].tool_calls[0].arguments == {"command": "ls"}
    assert msgs[2].tool_call_id == "t1" and msgs[2].content == "a.py"
    assert srv.calls[0].seed == 5


def test_from_replies_cycles_and_responder_sees_index() -> None:
    seen: list[int] = []

    def responder(call: ScriptedCall) -> Reply:
        seen.append(call.index)
        return Reply(text=f"n{call.index}")

    with ScriptedServer(responder) as srv:
        c = _oa(srv)
        texts = [
            c.chat.completions.create(model="m", messages=[{"role": "user", "content": "q"}])
            .choices[0]
            .message.content
            for _ in range(3)
        ]
    assert texts == ["n0", "n1", "n2"] and seen == [0, 1, 2]
    with ScriptedServer.from_replies([Reply(text="a"), Reply(text="b")]) as srv:
        c = _oa(srv)
        texts = [
            c.chat.completions.create(model="m", messages=[{"role": "user", "content": "q"}])
            .choices[0]
            .message.content
            for _ in range(3)
        ]
    assert texts == ["a", "b", "a"]


def test_reply_is_json_serialisable() -> None:
    reply = Reply(text="t", tool_calls=[TOOL], delay_s=0.1)
    assert Reply.model_validate_json(reply.model_dump_json()) == reply


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("429", openai.RateLimitError),
        ("500", openai.InternalServerError),
        ("drop", openai.APIConnectionError),
        ("malformed", json.JSONDecodeError),
    ],
)
def test_each_fault_reaches_the_openai_client(kind: str, error: type[Exception]) -> None:
    with ScriptedServer.from_replies([Reply(text="fine")]) as srv:
        c = _oa(srv)
        srv.inject(Fault(kind=kind, retry_after=2))
        with pytest.raises(error) as info:
            c.chat.completions.create(model="m", messages=[{"role": "user", "content": "q"}])
        # the fault is used up: the next call is answered
        ok = c.chat.completions.create(model="m", messages=[{"role": "user", "content": "q"}])
    assert ok.choices[0].message.content == "fine"
    if kind == "429":
        assert info.value.response.headers["retry-after"] == "2"
    assert srv.n_requests == 2 and len(srv.calls) == 1


def test_hang_outlasts_the_client_timeout() -> None:
    with ScriptedServer.from_replies([Reply(text="fine")]) as srv:
        srv.inject(Fault(kind="hang"))
        with pytest.raises(openai.APITimeoutError):
            _oa(srv, timeout=0.3).chat.completions.create(
                model="m", messages=[{"role": "user", "content": "q"}]
            )


def test_fault_count_and_anthropic_error_shape() -> None:
    with ScriptedServer.from_replies([Reply(text="fine")]) as srv:
        srv.inject(Fault(kind="500", count=2))
        for _ in range(2):
            with pytest.raises(anthropic.InternalServerError):
                _an(srv).messages.create(
                    model="c", max_tokens=5, messages=[{"role": "user", "content": "q"}]
                )
        assert (
            _an(srv)
            .messages.create(model="c", max_tokens=5, messages=[{"role": "user", "content": "q"}])
            .content[0]
            .text
            == "fine"
        )


def test_responder_failure_is_a_500_and_server_survives() -> None:
    def responder(call: ScriptedCall) -> Reply:
        if call.index == 0:
            raise RuntimeError("bug in test script")
        return Reply(text="recovered")

    with ScriptedServer(responder) as srv:
        c = _oa(srv)
        with pytest.raises(openai.InternalServerError):
            c.chat.completions.create(model="m", messages=[{"role": "user", "content": "q"}])
        assert (
            c.chat.completions.create(model="m", messages=[{"role": "user", "content": "q"}])
            .choices[0]
            .message.content
            == "recovered"
        )


def test_models_endpoint_and_unknown_route() -> None:
    with ScriptedServer.from_replies([Reply()]) as srv:
        assert httpx.get(srv.base_url + "/v1/models").json()["data"][0]["id"] == "scripted"
        assert httpx.post(srv.base_url + "/v2/nothing", json={}).status_code == 404
        assert (
            httpx.post(srv.base_url + "/v1/chat/completions", content=b"{not json").status_code
            == 400
        )


def test_yaml_script_rules(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "rules:\n"
        "  - match: 'fix (the )?bug'\n"
        "    reply: {tool_calls: [{id: c1, name: bash, arguments: {command: ls}}]}\n"
        "  - match: 'a\\.py'\n"
        "    role: tool\n"
        "    reply: {text: saw the file}\n"
        "default: {text: no idea}\n"
    )
    with ScriptedServer(load_script(str(path))) as srv:
        c = _oa(srv)
        first = c.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "please fix the bug"}]
        )
        second = c.chat.completions.create(
            model="m",
            messages=[
                {"role": "user", "content": "hi"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "bash", "arguments": "{}"},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": "a.py"},
            ],
        )
        third = c.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hello"}]
        )
    assert first.choices[0].message.tool_calls[0].function.name == "bash"
    assert second.choices[0].message.content == "saw the file"
    assert third.choices[0].message.content == "no idea"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("rules: [{match: x}]\n", "rules.0.reply"),
        ("rules: [{match: '(', reply: {}}]\n", "rules.0.match"),
        ("defalt: {text: x}\n", "defalt"),
        ("- just a list\n", None),
        ("rules: [\n", None),
    ],
)
def test_bad_script_is_a_config_error_naming_file_and_field(
    tmp_path: Path, text: str, field: str | None
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_script(path)
    assert str(path) in str(info.value)
    if field:
        assert info.value.field == field
    with pytest.raises(ConfigError):
        load_script(tmp_path / "missing.yaml")


def test_responder_may_answer_with_a_fault() -> None:
    def responder(call: ScriptedCall) -> Reply | Fault:
        return Fault(kind="429", retry_after=1) if call.index == 0 else Reply(text="second")

    with ScriptedServer(responder) as srv:
        c = _oa(srv)
        with pytest.raises(openai.RateLimitError):
            c.chat.completions.create(model="m", messages=[{"role": "user", "content": "q"}])
        out = c.chat.completions.create(model="m", messages=[{"role": "user", "content": "q"}])
    assert out.choices[0].message.content == "second"
    assert [call.index for call in srv.calls] == [0, 1]
