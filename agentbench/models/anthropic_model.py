"""Models behind the anthropic SDK (Messages API).

The Messages API has no seed: a request's seed travels as metadata.user_id "seed-N" (the
scripted server reads it back).

Extended thinking with tools needs the signed thinking blocks of earlier turns sent back. A
Message keeps only the reasoning text, so the model remembers the blocks it received, keyed by
that text, and puts them back in front of the assistant turn (in this process; a turn whose
blocks it never saw is sent without them).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import anthropic

from agentbench.models.client import ClientModel
from agentbench.models.openai_wire import parse_arguments
from agentbench.models.retry import MalformedResponse
from agentbench.records import Message, ModelRequest, ModelResponse, ToolCall, ToolSpec, Usage

DEFAULT_MAX_TOKENS = 4096  # the API requires max_tokens
_FINISH = {
    "end_turn": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "stop_sequence": "stop",
}


ThinkingBlocks = list[dict[str, Any]]


def to_anthropic_messages(
    messages: list[Message], thinking: Callable[[str], ThinkingBlocks | None] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """(system prompt, messages) in Anthropic form; tool results become user tool_result blocks.

    `thinking` maps an assistant turn's reasoning text to its signed thinking blocks.
    """
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "system":
            continue
        if m.role == "assistant":
            blocks: list[dict[str, Any]] = []
            if m.reasoning and thinking is not None:
                blocks.extend(thinking(m.reasoning) or [])
            if m.content:
                blocks.append({"type": "text", "text": m.content})
            for tc in m.tool_calls:
                args = tc.arguments if isinstance(tc.arguments, dict) else {"_raw": tc.arguments}
                blocks.append({"type": "tool_use", "id": tc.id, "name": tc.name, "input": args})
            out.append(
                {"role": "assistant", "content": blocks or [{"type": "text", "text": "(empty)"}]}
            )
            continue
        if m.role == "tool":
            block = {
                "type": "tool_result",
                "tool_use_id": m.tool_call_id or "",
                "content": m.content,
            }
        else:
            block = {"type": "text", "text": m.content}
        # consecutive user-side turns (tool results, then a user note) go in one user message
        if out and out[-1]["role"] == "user":
            out[-1]["content"].append(block)
        else:
            out.append({"role": "user", "content": [block]})
    return system, out


def to_anthropic_tools(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    """Tool specs in Anthropic form."""
    return [
        {"name": t.name, "description": t.description, "input_schema": t.parameters} for t in tools
    ]


def parse_usage(u: Any) -> Usage:
    """Anthropic usage → Usage; input counts cache reads and writes too, as OpenAI's does."""
    if u is None:
        return Usage()
    read = int(getattr(u, "cache_read_input_tokens", 0) or 0)
    write = int(getattr(u, "cache_creation_input_tokens", 0) or 0)
    return Usage(
        input_tokens=int(u.input_tokens or 0) + read + write,
        output_tokens=int(u.output_tokens or 0),
        cached_tokens=read,
    )


def thinking_blocks(msg: Any) -> ThinkingBlocks:
    """The signed (or redacted) thinking blocks of a message, as they must be sent back."""
    out: ThinkingBlocks = []
    for block in getattr(msg, "content", None) or []:
        kind = getattr(block, "type", None)
        if kind == "thinking":
            out.append(
                {"type": "thinking", "thinking": block.thinking, "signature": block.signature}
            )
        elif kind == "redacted_thinking":
            out.append({"type": "redacted_thinking", "data": block.data})
    return out


def parse_message(msg: Any) -> ModelResponse:
    """An Anthropic Message → ModelResponse."""
    if getattr(msg, "content", None) is None:
        raise MalformedResponse("message has no content")
    text, reasoning, calls = [], [], []
    for block in msg.content:
        kind = getattr(block, "type", None)
        if kind == "text":
            text.append(block.text)
        elif kind == "thinking":
            reasoning.append(block.thinking)
        elif kind == "tool_use":
            calls.append(
                ToolCall(id=block.id, name=block.name, arguments=parse_arguments(block.input))
            )
    return ModelResponse(
        text="".join(text),
        reasoning="".join(reasoning) or None,
        tool_calls=calls,
        usage=parse_usage(msg.usage),
        finish_reason=_FINISH.get(msg.stop_reason or "", msg.stop_reason),
        model=msg.model,
    )


class AnthropicModel(ClientModel[anthropic.AsyncAnthropic]):
    """Messages through `anthropic.AsyncAnthropic` (its own retries off)."""

    _KEEP_THINKING = 4096  # remembered assistant turns; old ones fall out first

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._thinking: OrderedDict[str, ThinkingBlocks] = OrderedDict()
        self._thinking_lock = threading.Lock()

    def _remember(self, resp: ModelResponse, msg: Any) -> ModelResponse:
        blocks = thinking_blocks(msg)
        if resp.reasoning and blocks:
            with self._thinking_lock:
                self._thinking[resp.reasoning] = blocks
                while len(self._thinking) > self._KEEP_THINKING:
                    self._thinking.popitem(last=False)
        return resp

    def _recall(self, reasoning: str) -> ThinkingBlocks | None:
        with self._thinking_lock:
            return self._thinking.get(reasoning)

    def _make_client(self) -> anthropic.AsyncAnthropic:
        return anthropic.AsyncAnthropic(
            api_key=self._api_key, base_url=self.base_url, max_retries=0, timeout=self.cfg.timeout_s
        )

    def build(self, req: ModelRequest) -> dict[str, Any]:
        """The keyword arguments for messages.create."""
        system, messages = to_anthropic_messages(req.messages, self._recall)
        kw: dict[str, Any] = {"model": req.model, "messages": messages}
        if system:
            kw["system"] = system
        if req.tools:
            kw["tools"] = to_anthropic_tools(req.tools)
        if req.stop:
            kw["stop_sequences"] = req.stop
        max_tokens = req.max_tokens
        if req.reasoning_budget:
            kw["thinking"] = {"type": "enabled", "budget_tokens": req.reasoning_budget}
            # the API wants max_tokens above the thinking budget
            max_tokens = max_tokens or req.reasoning_budget + DEFAULT_MAX_TOKENS
        kw["max_tokens"] = max_tokens or DEFAULT_MAX_TOKENS
        if req.seed is not None:
            kw["metadata"] = {"user_id": f"seed-{req.seed}"}
        # sampling settings travel in the body: recent SDKs no longer list them as arguments
        extra = {
            f: getattr(req, f)
            for f in ("temperature", "top_p", "top_k")
            if getattr(req, f) is not None
        }
        extra.update({**self.extra_body, **req.extra})
        if extra:
            kw["extra_body"] = extra
        return kw

    async def _send(self, client: anthropic.AsyncAnthropic, request: ModelRequest) -> ModelResponse:
        kw = self.build(request)
        if not self.stream:
            msg = await client.messages.create(**kw)
        else:
            async with client.messages.stream(**kw) as stream:
                msg = await stream.get_final_message()
        return self._remember(parse_message(msg), msg)
