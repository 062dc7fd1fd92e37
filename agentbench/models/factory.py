"""make_model: a ModelConfig in, a ready Model out, built by its provider (providers.py).

API keys come only from the named env var.
"""

from __future__ import annotations

import os

from agentbench.config import ModelConfig
from agentbench.errors import ConfigError, EnvironmentProblem
from agentbench.models.base import Model
from agentbench.models.providers import Provider, get, key_env
from agentbench.models.retry import RetryPolicy

# servers on this machine take any key; the SDKs insist on one
_NO_KEY = "agentbench-local-no-key"


def _api_key(cfg: ModelConfig, provider: Provider) -> str | None:
    var = key_env(cfg)
    if var is None:  # litellm finds its provider's variable itself
        return _NO_KEY if provider.local else None
    key = os.environ.get(var)
    if not key:
        raise EnvironmentProblem(
            f"model {cfg.name!r} ({cfg.provider}) needs an API key",
            field=var,
            fix=f"export {var}=... or set model.api_key_env to the variable that holds it",
        )
    return key


def _check(cfg: ModelConfig) -> None:
    if cfg.max_concurrency < 1:
        raise ConfigError("must be >= 1", field="model.max_concurrency", fix="set a positive limit")
    if cfg.max_retries < 0:
        raise ConfigError("must be >= 0", field="model.max_retries", fix="use 0 to disable retries")
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
    client = cfg.extra.get("client", "sdk")
    if client not in ("sdk", "lean"):
        raise ConfigError(
            f"unknown client {client!r}", field="model.extra.client", fix="use sdk or lean"
        )
    wire = cfg.extra.get("wire", "openai")
    if wire not in ("openai", "anthropic"):
        raise ConfigError(
            f"unknown wire {wire!r}", field="model.extra.wire", fix="use openai or anthropic"
        )


def make_model(cfg: ModelConfig, *, retry_policy: RetryPolicy | None = None) -> Model:
    """Build the Model for `cfg` with its registered provider's client factory.

    `scripted` speaks the OpenAI wire by default; `extra: {wire: anthropic}` selects the
    Anthropic one. `extra: {stream: true}` streams responses. `extra: {client: lean}` sends
    OpenAI-wire calls over bare aiohttp instead of the SDK (benchmarks against local
    servers). `retry_policy` tunes backoff.
    """
    provider = get(cfg.provider)
    _check(cfg)
    provider.check(cfg)
    return provider.make(cfg, _api_key(cfg, provider), retry_policy)
