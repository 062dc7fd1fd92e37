"""Helpers shared by the models tests (a module of its own: conftest cannot be imported)."""

from __future__ import annotations

import asyncio
from typing import Any

from agentbench.config import ModelConfig
from agentbench.models.base import Model
from agentbench.models.factory import make_model
from agentbench.models.retry import RetryPolicy
from agentbench.records import Message, ModelRequest, ModelResponse
from agentbench.servers.scripted import ScriptedServer

FAST = RetryPolicy(initial_s=0.01, max_s=0.05)
KEY_ENV = "AGENTBENCH_TEST_KEY"
KEY = "sk-test-planted-4f9c2a7e1b"


def config(provider: str, srv: ScriptedServer, **kw: Any) -> ModelConfig:
    """A ModelConfig pointed at `srv` for one of the three SDK clients (name: a priced default)."""
    default = "claude-sonnet-4-20250514" if provider.endswith("anthropic") else "gpt-4o-mini"
    name = kw.pop("name", default)
    if provider == "openai":
        return ModelConfig(
            provider="openai", name=name, base_url=srv.base_url + "/v1", api_key_env=KEY_ENV, **kw
        )
    if provider == "anthropic":
        return ModelConfig(
            provider="anthropic",
            name=name,
            base_url=srv.base_url,
            api_key_env=KEY_ENV,
            **kw,
        )
    if provider == "litellm":
        return ModelConfig(
            provider="litellm",
            name="openai/" + name,
            base_url=srv.base_url + "/v1",
            api_key_env=KEY_ENV,
            **kw,
        )
    if provider == "lean":  # OpenAI wire over bare aiohttp
        extra = {**kw.pop("extra", {}), "client": "lean"}
        return ModelConfig(provider="scripted", name=name, base_url=srv.base_url, extra=extra, **kw)
    if provider == "litellm-anthropic":  # litellm speaking the Anthropic wire
        return ModelConfig(
            provider="litellm",
            name="anthropic/" + name,
            base_url=srv.base_url,
            api_key_env=KEY_ENV,
            **kw,
        )
    raise ValueError(provider)


def model_for(provider: str, srv: ScriptedServer, **kw: Any) -> Model:
    """make_model for `provider` against `srv`, with fast retries."""
    return make_model(config(provider, srv, **kw), retry_policy=FAST)


def complete(model: Model, request: ModelRequest, **kw: Any) -> ModelResponse:
    """One call on a fresh event loop, as a per-sample executor makes it."""
    return asyncio.run(model.acomplete(request, **kw))


def ask(text: str = "say hello", **kw: Any) -> ModelRequest:
    """A one-message request."""
    return ModelRequest(
        model=kw.pop("model", "m"), messages=[Message(role="user", content=text)], **kw
    )


PROVIDERS = ["openai", "anthropic", "litellm", "litellm-anthropic", "lean"]


def wire_of(provider: str) -> str:
    """Which wire format a test provider speaks."""
    return "anthropic" if provider.endswith("anthropic") else "openai"
