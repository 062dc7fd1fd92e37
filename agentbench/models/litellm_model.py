"""Models behind litellm: every other provider, vLLM and local servers.

litellm is imported lazily (≈4 s) with LITELLM_LOCAL_MODEL_COST_MAP=True so it never fetches
a price list; its own retries are off so ours are counted.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

from agentbench.models.client import ClientModel
from agentbench.models.openai_wire import (
    StreamAccumulator,
    parse_completion,
    to_openai_messages,
    to_openai_tools,
)
from agentbench.records import ModelRequest, ModelResponse


def import_litellm() -> ModuleType:
    """Import litellm offline and quiet (no remote price list, no debug banners)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    litellm.telemetry = False
    return litellm


class LiteLLMModel(ClientModel[ModuleType]):
    """Chat completions through `litellm.acompletion`; cfg.name is litellm's provider/model."""

    wire = "litellm"

    def _make_client(self) -> ModuleType:
        return import_litellm()

    def build(self, req: ModelRequest) -> dict[str, Any]:
        """The keyword arguments for litellm.acompletion."""
        kw: dict[str, Any] = {
            "model": req.model,
            "messages": to_openai_messages(req.messages, self.turns.recall),
            "timeout": self.cfg.timeout_s,
            "max_retries": 0,
            "num_retries": 0,
            # a seed (or top_k) is sent only where the provider takes one
            "drop_params": True,
        }
        if self.base_url:
            kw["api_base"] = self.base_url
        if self._api_key:
            kw["api_key"] = self._api_key
        if req.tools:
            kw["tools"] = to_openai_tools(req.tools)
        for f in (
            "temperature",
            "top_p",
            "top_k",
            "seed",
            "stop",
            "max_tokens",
            "reasoning_effort",
        ):
            if (v := getattr(req, f)) is not None:
                kw[f] = v
        if req.reasoning_budget:
            kw["thinking"] = {"type": "enabled", "budget_tokens": req.reasoning_budget}
        kw.update({**self.extra_body, **req.extra})
        return kw

    async def _send(self, client: ModuleType, request: ModelRequest) -> ModelResponse:
        kw = self.build(request)
        if not self.stream:
            return parse_completion(await client.acompletion(**kw))
        acc = StreamAccumulator()
        stream = await client.acompletion(**kw, stream=True, stream_options={"include_usage": True})
        async for chunk in stream:
            acc.add(chunk)
        return acc.result()

    async def _close_client(self, client: ModuleType) -> None:
        """litellm keeps module-level clients: nothing of ours to close."""
