"""OpenAI chat-completions format: records → request body, response/stream → ModelResponse.

Shared by the openai SDK model and the litellm model (litellm answers in this format).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentbench.models.retry import MalformedResponse
from agentbench.models.state import thinking_blocks_of
from agentbench.records import Message, ModelResponse, ToolCall, ToolSpec, Usage

StateOf = Callable[[Message], dict[str, Any] | None]


def to_openai_messages(
    messages: list[Message], state: StateOf | None = None
) -> list[dict[str, Any]]:
    """Chat messages in OpenAI wire form.

    `state` maps an assistant turn to its provider state: thinking blocks a server sent in
    the `thinking_blocks` extension (litellm, for Anthropic models) go back with their turn.
    """
    out: list[dict[str, Any]] = []
    for m in messages:
        d: dict[str, Any] = {"role": m.role, "content": m.content}
        if (
            m.role == "assistant"
            and state is not None
            and (tb := thinking_blocks_of(state(m), "openai"))
        ):
            d["thinking_blocks"] = tb
        if m.role == "assistant" and m.tool_calls:
            d["content"] = m.content or None
            d["tool_calls"] = [tc.to_openai() for tc in m.tool_calls]
        if m.role == "tool":
            d["tool_call_id"] = m.tool_call_id
        if m.name and m.role != "tool":
            d["name"] = m.name
        out.append(d)
    return out


def to_openai_tools(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    """Tool specs in OpenAI wire form."""
    return [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
        }
        for t in tools
    ]


def _get(obj: Any, name: str) -> Any:
    """Attribute or key access: SDK objects, litellm objects and dicts alike."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    value = getattr(obj, name, None)
    if value is None:
        extra = getattr(obj, "model_extra", None) or {}
        value = extra.get(name)
    return value


def parse_usage(u: Any) -> Usage:
    """OpenAI usage → Usage (prompt tokens include cached; completion include reasoning)."""
    if u is None:
        return Usage()
    out_details = _get(u, "completion_tokens_details")
    in_details = _get(u, "prompt_tokens_details")
    return Usage(
        input_tokens=int(_get(u, "prompt_tokens") or 0),
        output_tokens=int(_get(u, "completion_tokens") or 0),
        reasoning_tokens=int(_get(out_details, "reasoning_tokens") or 0),
        cached_tokens=int(_get(in_details, "cached_tokens") or 0),
    )


def _reasoning_of(obj: Any) -> str | None:
    # not in OpenAI's schema; vLLM, DeepSeek, llama.cpp and litellm send one of these
    for name in ("reasoning_content", "reasoning"):
        value = _get(obj, name)
        if isinstance(value, str):
            return value
    return None


def resend_block(raw: Any) -> dict[str, Any] | None:
    """A thinking block (SDK object or dict, either wire) as it must go back; None if not one."""
    kind = _get(raw, "type")
    if kind == "thinking":
        return {
            "type": "thinking",
            "thinking": _get(raw, "thinking") or "",
            "signature": _get(raw, "signature") or "",
        }
    if kind == "redacted_thinking":
        return {"type": "redacted_thinking", "data": _get(raw, "data") or ""}
    return None


def _state(blocks: list[dict[str, Any]]) -> dict[str, Any] | None:
    return {"openai": {"thinking_blocks": blocks}} if blocks else None


def parse_completion(resp: Any) -> ModelResponse:
    """A complete chat.completion → ModelResponse."""
    choices = _get(resp, "choices") or []
    if not choices:
        raise MalformedResponse("response has no choices")
    choice = choices[0]
    msg = _get(choice, "message")
    calls = [
        ToolCall(
            id=str(_get(tc, "id") or f"call_{i}"),
            name=str(_get(_get(tc, "function"), "name")),
            arguments=ToolCall.parse_arguments(_get(_get(tc, "function"), "arguments")),
        )
        for i, tc in enumerate(_get(msg, "tool_calls") or [])
    ]
    return ModelResponse(
        text=_get(msg, "content") or "",
        reasoning=_reasoning_of(msg),
        tool_calls=calls,
        usage=parse_usage(_get(resp, "usage")),
        finish_reason=_get(choice, "finish_reason"),
        model=_get(resp, "model"),
        provider_state=_state(
            [
                b
                for raw in _get(msg, "thinking_blocks") or []
                if (b := resend_block(raw)) is not None
            ]
        ),
    )


class StreamAccumulator:
    """Folds chat.completion.chunk deltas into one ModelResponse."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.calls: dict[int, dict[str, Any]] = {}
        self.usage: Usage | None = None
        self.finish: str | None = None
        self.model: str | None = None
        # thinking blocks by the index the server gave them (signature deltas come apart)
        self.blocks: dict[int, dict[str, Any]] = {}

    def add(self, chunk: Any) -> None:
        """Take one chunk."""
        self.model = self.model or _get(chunk, "model")
        if (u := _get(chunk, "usage")) is not None:
            self.usage = parse_usage(u)
        for choice in _get(chunk, "choices") or []:
            delta = _get(choice, "delta")
            if (c := _get(delta, "content")) is not None:
                self.text.append(c)
            if (r := _reasoning_of(delta)) is not None:
                self.reasoning.append(r)
            for tc in _get(delta, "tool_calls") or []:
                idx = int(_get(tc, "index") or 0)
                slot = self.calls.setdefault(idx, {"id": None, "name": "", "args": []})
                slot["id"] = slot["id"] or _get(tc, "id")
                fn = _get(tc, "function")
                if (name := _get(fn, "name")) is not None:
                    slot["name"] = slot["name"] or name
                if (args := _get(fn, "arguments")) is not None:
                    slot["args"].append(args)
            for raw in _get(delta, "thinking_blocks") or []:
                self._add_block(raw)
            if (f := _get(choice, "finish_reason")) is not None:
                self.finish = f

    def _add_block(self, raw: Any) -> None:
        """Fold one streamed thinking-block piece into its block."""
        piece = resend_block(raw)
        if piece is None:
            return
        idx = _get(raw, "index")
        idx = int(idx) if idx is not None else len(self.blocks)
        block = self.blocks.get(idx)
        if block is None or block["type"] != piece["type"]:
            self.blocks[idx] = piece
        elif piece["type"] == "thinking":
            block["thinking"] += piece["thinking"]
            block["signature"] += piece["signature"]
        else:
            block["data"] += piece["data"]

    def result(self) -> ModelResponse:
        """The accumulated response; a stream that never said how it ended is malformed."""
        if self.finish is None:
            raise MalformedResponse("stream ended without a finish_reason")
        if self.usage is None and not (self.text or self.reasoning or self.calls):
            # litellm turns an unreadable stream into an empty "stop": nothing came, say so
            raise MalformedResponse("stream carried no content and no usage")
        calls = [
            ToolCall(
                id=s["id"] or f"call_{i}",
                name=s["name"],
                arguments=ToolCall.parse_arguments("".join(s["args"])),
            )
            for i, s in sorted(self.calls.items())
        ]
        return ModelResponse(
            text="".join(self.text),
            reasoning="".join(self.reasoning) or None,
            tool_calls=calls,
            usage=self.usage or Usage(),
            finish_reason=self.finish,
            model=self.model,
            provider_state=_state([b for _, b in sorted(self.blocks.items())]),
        )
