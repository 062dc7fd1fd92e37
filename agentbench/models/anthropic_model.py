"""Models behind the anthropic SDK (Messages API).

The Messages API has no seed: a request's seed travels as metadata.user_id "seed-N" (the
scripted server reads it back).

Extended thinking with tools needs the signed (or redacted) thinking blocks of earlier turns
sent back verbatim. A response carries them in provider_state["anthropic"], so the response
cache and the trajectory keep them; the assistant turn gets them back from its own
provider_state, else from the turns this model returned (agentbench.models.state). A turn
whose blocks are unknown is sent without them, never with made-up ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anthropic

from agentbench.models.client import ClientModel
from agentbench.models.openai_wire import resend_block
from agentbench.models.retry import MalformedResponse
from agentbench.models.state import thinking_blocks_of
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
    messages: list[Message], thinking: Callable[[Message], ThinkingBlocks | None] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """(system prompt, messages) in Anthropic form; tool results become user tool_result blocks.

    `thinking` maps an assistant turn to its signed thinking blocks (None: unknown).
    """
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "system":
            continue
        if m.role == "assistant":
            blocks: list[dict[str, Any]] = []
            if thinking is not None:
                # the API checks the signatures: blocks go back first and unchanged
                blocks.extend(thinking(m) or [])
            if m.content:
                blocks.append({"type": "text", "text": m.content})
            blocks.extend(tc.to_anthropic() for tc in m.tool_calls)
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


def parse_message(msg: Any) -> ModelResponse:
    """An Anthropic Message → ModelResponse (signed thinking blocks in provider_state)."""
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
                ToolCall(
                    id=block.id, name=block.name, arguments=ToolCall.parse_arguments(block.input)
                )
            )
    state: dict[str, Any] = {}
    # the signed (or redacted) thinking blocks, as they must be sent back
    if blocks := [b for raw in msg.content if (b := resend_block(raw)) is not None]:
        state["thinking_blocks"] = blocks
    if msg_id := getattr(msg, "id", None):
        state["id"] = msg_id
    return ModelResponse(
        text="".join(text),
        reasoning="".join(reasoning) or None,
        tool_calls=calls,
        usage=parse_usage(msg.usage),
        finish_reason=_FINISH.get(msg.stop_reason or "", msg.stop_reason),
        model=msg.model,
        provider_state={"anthropic": state} if state else None,
    )


class AnthropicModel(ClientModel[anthropic.AsyncAnthropic]):
    """Messages through `anthropic.AsyncAnthropic` (its own retries off)."""

    wire = "anthropic"

    def _make_client(self) -> anthropic.AsyncAnthropic:
        return anthropic.AsyncAnthropic(
            api_key=self._api_key, base_url=self.base_url, max_retries=0, timeout=self.cfg.timeout_s
        )

    def _thinking_of(self, msg: Message) -> ThinkingBlocks | None:
        return thinking_blocks_of(self.turns.recall(msg), "anthropic")

    def build(self, req: ModelRequest) -> dict[str, Any]:
        """The keyword arguments for messages.create."""
        system, messages = to_anthropic_messages(req.messages, self._thinking_of)
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
        return parse_message(msg)
