"""Models behind the openai SDK: OpenAI itself, and any OpenAI-wire server (local, scripted)."""

from __future__ import annotations

from typing import Any

import openai

from agentbench.models.client import ClientModel
from agentbench.models.openai_wire import (
    StateOf,
    StreamAccumulator,
    parse_completion,
    to_openai_messages,
    to_openai_tools,
)
from agentbench.records import ModelRequest, ModelResponse


def build_kwargs(
    req: ModelRequest, provider: str, extra_body: dict[str, Any], state: StateOf | None = None
) -> dict[str, Any]:
    """chat.completions.create arguments for `req` (provider-specific extras in extra_body)."""
    kw: dict[str, Any] = {"model": req.model, "messages": to_openai_messages(req.messages, state)}
    if req.tools:
        kw["tools"] = to_openai_tools(req.tools)
    for f in ("temperature", "top_p", "seed", "stop", "reasoning_effort"):
        if (v := getattr(req, f)) is not None:
            kw[f] = v
    extra = {**extra_body, **req.extra}
    if req.max_tokens is not None:
        # OpenAI's own API wants max_completion_tokens (reasoning models reject max_tokens);
        # local servers know only max_tokens
        kw["max_completion_tokens" if provider == "openai" else "max_tokens"] = req.max_tokens
    if req.top_k is not None and provider != "openai":
        extra["top_k"] = req.top_k  # not in OpenAI's API; vLLM and llama.cpp take it
    if extra:
        kw["extra_body"] = extra
    return kw


class OpenAIModel(ClientModel[openai.AsyncOpenAI]):
    """Chat completions through `openai.AsyncOpenAI` (its own retries off)."""

    def _make_client(self) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            api_key=self._api_key, base_url=self.base_url, max_retries=0, timeout=self.cfg.timeout_s
        )

    def build(self, req: ModelRequest) -> dict[str, Any]:
        """The keyword arguments for chat.completions.create."""
        return build_kwargs(req, self.cfg.provider, self.extra_body, self.turns.recall)

    async def _send(self, client: openai.AsyncOpenAI, request: ModelRequest) -> ModelResponse:
        kw = self.build(request)
        if not self.stream:
            return parse_completion(await client.chat.completions.create(**kw))
        acc = StreamAccumulator()
        stream = await client.chat.completions.create(
            **kw, stream=True, stream_options={"include_usage": True}
        )
        async with stream:
            async for chunk in stream:
                acc.add(chunk)
        return acc.result()
