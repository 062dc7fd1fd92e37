"""Property tests: a conversation survives our client-side encoding and the server's parsing."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agentbench.models.anthropic_model import to_anthropic_messages
from agentbench.models.openai_wire import (
    StreamAccumulator,
    parse_completion,
    to_openai_messages,
)
from agentbench.records import Message, ToolCall, Usage
from agentbench.servers.scripted import Reply, wire
from agentbench.servers.scripted.types import ScriptedCall

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)
args = st.dictionaries(
    st.sampled_from(["command", "path", "n"]), st.one_of(text, st.integers()), max_size=3
)
tool_call = st.builds(
    ToolCall,
    id=st.from_regex(r"call_[a-z0-9]{1,6}", fullmatch=True),
    name=st.sampled_from(["bash", "edit", "submit"]),
    arguments=args,
)


@st.composite
def conversations(draw: st.DrawFn) -> list[Message]:
    """system?, then user / assistant (maybe tool calls, each answered by a tool message) turns."""
    msgs: list[Message] = []
    if draw(st.booleans()):
        msgs.append(Message(role="system", content=draw(text)))
    for _ in range(draw(st.integers(1, 4))):
        msgs.append(Message(role="user", content=draw(text)))
        calls = draw(st.lists(tool_call, max_size=2, unique_by=lambda c: c.id))
        msgs.append(Message(role="assistant", content=draw(text), tool_calls=calls))
        msgs.extend(Message(role="tool", content=draw(text), tool_call_id=c.id) for c in calls)
    return msgs


@settings(max_examples=60, deadline=None)
@given(conversations())
def test_openai_encoding_round_trips(msgs: list[Message]) -> None:
    body = {"model": "m", "messages": to_openai_messages(msgs)}
    assert wire.parse_openai(body, 0).messages == msgs


@settings(max_examples=60, deadline=None)
@given(conversations())
def test_anthropic_encoding_round_trips(msgs: list[Message]) -> None:
    system, messages = to_anthropic_messages(msgs)
    body = {"model": "m", "system": system, "messages": messages, "max_tokens": 5}
    parsed = wire.parse_anthropic(body, {}, 0).messages
    # the server splits a user turn holding tool results and text back into tool + user
    assert [m.model_dump(exclude={"tool_calls"}) for m in parsed] == [
        m.model_dump(exclude={"tool_calls"}) for m in msgs
    ]
    assert [m.tool_calls for m in parsed] == [m.tool_calls for m in msgs]


replies = st.builds(
    Reply,
    text=text,
    reasoning=st.none() | text,
    tool_calls=st.lists(tool_call, max_size=3, unique_by=lambda c: c.id),
    usage=st.none()
    | st.builds(Usage, input_tokens=st.integers(0, 10**6), output_tokens=st.integers(0, 10**6)),
)


@settings(max_examples=60, deadline=None)
@given(replies)
def test_scripted_reply_decodes_the_same_plain_or_streamed(reply: Reply) -> None:
    import json

    call = ScriptedCall(
        api="openai",
        model="m",
        messages=[Message(role="user", content="q")],
        raw={"stream_options": {"include_usage": True}},
    )
    plain = parse_completion(json.loads(json.dumps(wire.openai_body(reply, call))))
    acc = StreamAccumulator()
    for event in wire.openai_stream(reply, call):
        data = event.decode().removeprefix("data: ").strip()
        if data != "[DONE]":
            acc.add(json.loads(data))
    streamed = acc.result()
    assert plain == streamed
    assert (plain.text, plain.reasoning, plain.tool_calls) == (
        reply.text,
        reply.reasoning,
        reply.tool_calls,
    )
    assert plain.usage == reply.usage_for(call)
