"""Translate between the OpenAI / Anthropic wire formats and the scripted server's records."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

from agentbench.records import Message, ToolCall, Usage
from agentbench.servers.scripted.types import Reply, ScriptedCall

_SEED_RE = re.compile(r"^seed-(-?\d+)$")
_ANTHROPIC_STOP = {"stop": "end_turn", "tool_calls": "tool_use", "length": "max_tokens"}


# ---------------------------------------------------------------- requests


def _text_of(content: Any) -> str:
    """Flatten string or content-block content to its text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    out = []
    for part in content:
        if isinstance(part, dict) and part.get("type") == "text":
            out.append(str(part.get("text", "")))
        elif isinstance(part, str):
            out.append(part)
    return "".join(out)


def parse_openai(body: dict[str, Any], index: int) -> ScriptedCall:
    """Normalise an OpenAI chat-completions request body."""
    msgs: list[Message] = []
    for m in body.get("messages") or []:
        role = m.get("role", "user")
        role = "system" if role == "developer" else role
        calls = [
            ToolCall(
                id=tc.get("id", ""),
                name=tc["function"]["name"],
                arguments=ToolCall.parse_arguments(tc["function"].get("arguments")),
            )
            for tc in m.get("tool_calls") or []
        ]
        msgs.append(
            Message(
                role=role,
                content=_text_of(m.get("content")),
                tool_calls=calls,
                tool_call_id=m.get("tool_call_id"),
                name=m.get("name"),
                reasoning=m.get("reasoning_content"),
            )
        )
    tools = [t.get("function", {}).get("name", "") for t in body.get("tools") or []]
    seed = body.get("seed")
    return ScriptedCall(
        api="openai",
        model=str(body.get("model", "")),
        messages=msgs,
        seed=int(seed) if seed is not None else None,
        tools=tools,
        stream=bool(body.get("stream")),
        raw=body,
        index=index,
    )


def parse_anthropic(body: dict[str, Any], headers: dict[str, str], index: int) -> ScriptedCall:
    """Normalise an Anthropic messages request body (seed from header or metadata.user_id)."""
    msgs: list[Message] = []
    system = body.get("system")
    if system:
        msgs.append(Message(role="system", content=_text_of(system)))
    for m in body.get("messages") or []:
        role, content = m.get("role", "user"), m.get("content")
        if isinstance(content, str):
            msgs.append(Message(role=role, content=content))
            continue
        text, reasoning, calls = [], [], []
        for block in content or []:
            kind = block.get("type")
            if kind == "text":
                text.append(block.get("text", ""))
            elif kind == "thinking":
                reasoning.append(block.get("thinking", ""))
            elif kind == "tool_use":
                calls.append(
                    ToolCall(
                        id=block.get("id", ""),
                        name=block.get("name", ""),
                        arguments=ToolCall.parse_arguments(block.get("input")),
                    )
                )
            elif kind == "tool_result":
                msgs.append(
                    Message(
                        role="tool",
                        content=_text_of(block.get("content")),
                        tool_call_id=block.get("tool_use_id"),
                    )
                )
        if text or calls or reasoning or role == "assistant":
            msgs.append(
                Message(
                    role=role,
                    content="".join(text),
                    tool_calls=calls,
                    reasoning="".join(reasoning) or None,
                )
            )
    seed: int | None = None
    if "x-agentbench-seed" in headers:
        seed = int(headers["x-agentbench-seed"])
    else:
        uid = str((body.get("metadata") or {}).get("user_id") or "")
        if match := _SEED_RE.match(uid):
            seed = int(match.group(1))
    tools = [t.get("name", "") for t in body.get("tools") or []]
    return ScriptedCall(
        api="anthropic",
        model=str(body.get("model", "")),
        messages=msgs,
        seed=seed,
        tools=tools,
        stream=bool(body.get("stream")),
        raw=body,
        index=index,
    )


# ---------------------------------------------------------------- OpenAI responses


def _openai_usage(u: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": u.input_tokens,
        "completion_tokens": u.output_tokens,
        "total_tokens": u.input_tokens + u.output_tokens,
        "completion_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
        "prompt_tokens_details": {"cached_tokens": u.cached_tokens},
    }


def openai_body(reply: Reply, call: ScriptedCall) -> dict[str, Any]:
    """A complete chat.completion object."""
    msg: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.reasoning is not None:
        msg["reasoning_content"] = reply.reasoning
    if reply.tool_calls:
        msg["tool_calls"] = [tc.to_openai() for tc in reply.tool_calls]
    return {
        "id": f"chatcmpl-{call.index}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": call.model,
        "choices": [
            {"index": 0, "message": msg, "finish_reason": reply.finish(), "logprobs": None}
        ],
        "usage": _openai_usage(reply.usage_for(call)),
    }


def openai_stream(reply: Reply, call: ScriptedCall) -> Iterator[bytes]:
    """The chat.completion.chunk events of a streamed answer, SSE-framed."""
    base = {
        "id": f"chatcmpl-{call.index}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": call.model,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        obj = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return b"data: " + json.dumps(obj).encode() + b"\n\n"

    yield chunk({"role": "assistant", "content": ""})
    if reply.reasoning:
        for piece in _pieces(reply.reasoning):
            yield chunk({"reasoning_content": piece})
    for piece in _pieces(reply.text):
        yield chunk({"content": piece})
    for i, tc in enumerate(t.to_openai() for t in reply.tool_calls):
        args = tc["function"]["arguments"]
        fn = {"name": tc["function"]["name"], "arguments": ""}
        head = {"index": i, "id": tc["id"], "type": "function", "function": fn}
        yield chunk({"tool_calls": [head]})
        for piece in _pieces(args, 16):
            yield chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
    yield chunk({}, reply.finish())
    if (call.raw.get("stream_options") or {}).get("include_usage"):
        obj = {**base, "choices": [], "usage": _openai_usage(reply.usage_for(call))}
        yield b"data: " + json.dumps(obj).encode() + b"\n\n"
    yield b"data: [DONE]\n\n"


def _pieces(text: str, size: int = 24) -> list[str]:
    """Split text into a few stream deltas (word-ish chunks keep it realistic and cheap)."""
    return [text[i : i + size] for i in range(0, len(text), size)]


def openai_error(status: int, message: str) -> dict[str, Any]:
    """An OpenAI-style error body."""
    kind = "rate_limit_exceeded" if status == 429 else "server_error"
    return {"error": {"message": message, "type": kind, "param": None, "code": kind}}


# ---------------------------------------------------------------- Anthropic responses


def _anthropic_usage(u: Usage) -> dict[str, Any]:
    # Anthropic's input_tokens exclude cache reads; ours include them.
    return {
        "input_tokens": u.input_tokens - u.cached_tokens,
        "output_tokens": u.output_tokens,
        "cache_read_input_tokens": u.cached_tokens,
        "cache_creation_input_tokens": 0,
    }


def _anthropic_blocks(reply: Reply) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.reasoning is not None:
        blocks.append(
            {"type": "thinking", "thinking": reply.reasoning, "signature": reply.signature}
        )
    blocks.extend({"type": "redacted_thinking", "data": data} for data in reply.redacted)
    if reply.text or not reply.tool_calls:
        blocks.append({"type": "text", "text": reply.text})
    blocks.extend(tc.to_anthropic() for tc in reply.tool_calls)
    return blocks


def anthropic_body(reply: Reply, call: ScriptedCall) -> dict[str, Any]:
    """A complete Anthropic message object."""
    return {
        "id": f"msg_{call.index}",
        "type": "message",
        "role": "assistant",
        "model": call.model,
        "content": _anthropic_blocks(reply),
        "stop_reason": _ANTHROPIC_STOP.get(reply.finish(), reply.finish()),
        "stop_sequence": None,
        "usage": _anthropic_usage(reply.usage_for(call)),
    }


def anthropic_stream(reply: Reply, call: ScriptedCall) -> Iterator[bytes]:
    """The Anthropic streaming events of an answer, SSE-framed."""

    def ev(name: str, obj: dict[str, Any]) -> bytes:
        return (
            f"event: {name}\ndata: ".encode() + json.dumps({"type": name, **obj}).encode() + b"\n\n"
        )

    usage = _anthropic_usage(reply.usage_for(call))
    start = anthropic_body(reply, call)
    start.update(content=[], stop_reason=None, usage={**usage, "output_tokens": 1})
    yield ev("message_start", {"message": start})

    def delta(i: int, kind: str, **d: Any) -> bytes:
        return ev("content_block_delta", {"index": i, "delta": {"type": kind, **d}})

    for i, block in enumerate(_anthropic_blocks(reply)):
        kind = block["type"]
        if kind == "redacted_thinking":  # arrives whole, in its start event
            yield ev("content_block_start", {"index": i, "content_block": block})
        elif kind == "tool_use":
            head = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            yield ev("content_block_start", {"index": i, "content_block": head})
            for piece in _pieces(json.dumps(block["input"]), 16):
                yield delta(i, "input_json_delta", partial_json=piece)
        else:  # thinking or text: an empty block, then its text in pieces
            empty = {"type": kind, kind: ""} | ({"signature": ""} if kind == "thinking" else {})
            yield ev("content_block_start", {"index": i, "content_block": empty})
            for piece in _pieces(block[kind]):
                yield delta(i, f"{kind}_delta", **{kind: piece})
            if kind == "thinking":
                yield delta(i, "signature_delta", signature=block["signature"])
        yield ev("content_block_stop", {"index": i})
    stop = _ANTHROPIC_STOP.get(reply.finish(), reply.finish())
    yield ev(
        "message_delta",
        {
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": {"output_tokens": usage["output_tokens"]},
        },
    )
    yield ev("message_stop", {})


def anthropic_error(status: int, message: str) -> dict[str, Any]:
    """An Anthropic-style error body."""
    kind = "rate_limit_error" if status == 429 else "api_error"
    return {"type": "error", "error": {"type": kind, "message": message}}
