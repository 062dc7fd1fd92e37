"""make_model: a ModelConfig in, a ready Model out. API keys only from the named env var."""

from __future__ import annotations

import os
from typing import Any

from agentbench.config import ModelConfig
from agentbench.errors import ConfigError, EnvironmentProblem
from agentbench.models.base import Model
from agentbench.models.client import ClientModel
from agentbench.models.retry import RetryPolicy

DEFAULT_KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
# servers on this machine take any key; the SDKs insist on one
_NO_KEY = "agentbench-local-no-key"


def _api_key(cfg: ModelConfig) -> str | None:
    var = cfg.api_key_env or DEFAULT_KEY_ENV.get(cfg.provider)
    if var is None:
        # local/scripted servers need none; litellm finds its provider's variable itself
        return _NO_KEY if cfg.provider in ("local", "scripted") else None
    key = os.environ.get(var)
    if not key:
        raise EnvironmentProblem(
            f"model {cfg.name!r} ({cfg.provider}) needs an API key",
            field=var,
            fix=f"export {var}=... or set model.api_key_env to the variable that holds it",
        )
    return key


def _openai_base(url: str) -> str:
    """OpenAI clients want the /v1 prefix; accept a server root too."""
    url = url.rstrip("/")
    return url if url.endswith("/v1") else url + "/v1"


def _check(cfg: ModelConfig) -> None:
    if cfg.max_concurrency < 1:
        raise ConfigError("must be >= 1", field="model.max_concurrency", fix="set a positive limit")
    if cfg.max_retries < 0:
        raise ConfigError("must be >= 0", field="model.max_retries", fix="use 0 to disable retries")
    if cfg.provider == "openai" and cfg.top_k is not None:
        raise ConfigError(
            "OpenAI's API has no top_k",
            field="model.top_k",
            fix="remove it, or use provider litellm/local for a server that takes it",
        )
    if (
        cfg.reasoning_budget
        and cfg.max_tokens is not None
        and cfg.max_tokens <= cfg.reasoning_budget
    ):
        raise ConfigError(
            "max_tokens must exceed reasoning_budget",
            field="model.max_tokens",
            fix=f"raise it above {cfg.reasoning_budget} or lower the budget",
        )
    if cfg.provider == "scripted" and not cfg.base_url:
        raise ConfigError(
            "a scripted model needs the server's address",
            field="model.base_url",
            fix="set it to ScriptedServer.base_url (agentbench serve scripted prints it)",
        )
    client = cfg.extra.get("client", "sdk")
    if client not in ("sdk", "lean"):
        raise ConfigError(
            f"unknown client {client!r}", field="model.extra.client", fix="use sdk or lean"
        )
    if client == "lean" and cfg.provider in ("anthropic", "litellm"):
        raise ConfigError(
            f"the lean client speaks only the OpenAI wire, not {cfg.provider}",
            field="model.extra.client",
            fix="drop it, or use provider openai/local/scripted",
        )
    wire = cfg.extra.get("wire", "openai")
    if wire not in ("openai", "anthropic"):
        raise ConfigError(
            f"unknown wire {wire!r}", field="model.extra.wire", fix="use openai or anthropic"
        )


def make_model(cfg: ModelConfig, *, retry_policy: RetryPolicy | None = None) -> Model:
    """Build the Model for `cfg`: openai, anthropic, litellm, local (embedded server), scripted.

    `scripted` speaks the OpenAI wire by default; `extra: {wire: anthropic}` selects the
    Anthropic one. `extra: {stream: true}` streams responses. `extra: {client: lean}` sends
    OpenAI-wire calls over bare aiohttp instead of the SDK (benchmarks against local
    servers). `retry_policy` tunes backoff.
    """
    _check(cfg)
    key = _api_key(cfg)
    kw = {"api_key": key, "retry_policy": retry_policy}
    if cfg.provider == "anthropic" or (
        cfg.provider == "scripted" and cfg.extra.get("wire") == "anthropic"
    ):
        from agentbench.models.anthropic_model import AnthropicModel

        base = cfg.base_url.rstrip("/").removesuffix("/v1") if cfg.base_url else None
        return AnthropicModel(cfg, base_url=base, **kw)
    if cfg.provider == "litellm":
        from agentbench.models.litellm_model import LiteLLMModel

        return LiteLLMModel(cfg, base_url=cfg.base_url, **kw)
    cls: type[ClientModel[Any]]
    if cfg.extra.get("client") == "lean":
        from agentbench.models.lean_model import LeanOpenAIModel

        cls = LeanOpenAIModel
    else:
        from agentbench.models.openai_model import OpenAIModel

        cls = OpenAIModel
    if cfg.provider == "openai":
        return cls(cfg, base_url=(cfg.base_url or "https://api.openai.com/v1").rstrip("/"), **kw)
    if cfg.provider == "local":
        from agentbench.models.local import ensure_local_server

        base = cfg.base_url or ensure_local_server()
        return cls(cfg, base_url=_openai_base(base), **kw)
    assert cfg.base_url is not None  # checked above
    return cls(cfg, base_url=_openai_base(cfg.base_url), **kw)
