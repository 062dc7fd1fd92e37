"""make_model: a ModelConfig in, a ready Model out, built by its provider (providers.py).

API keys come only from the named env var.
"""

from __future__ import annotations

import os

from agentbench.config import ModelConfig
from agentbench.errors import EnvironmentProblem
from agentbench.models.base import Model
from agentbench.models.providers import Provider, get, key_env, refuse
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
    refuse(cfg.max_concurrency < 1, "must be >= 1", "model.max_concurrency", "set a positive limit")
    refuse(cfg.max_retries < 0, "must be >= 0", "model.max_retries", "use 0 to disable retries")
    budget = cfg.reasoning_budget
    refuse(bool(budget and cfg.max_tokens is not None and cfg.max_tokens <= budget),
           "max_tokens must exceed reasoning_budget", "model.max_tokens",
           f"raise it above {budget} or lower the budget")  # fmt: skip
    client, wire = cfg.extra.get("client", "sdk"), cfg.extra.get("wire", "openai")
    refuse(client not in ("sdk", "lean"), f"unknown client {client!r}", "model.extra.client",
           "use sdk or lean")  # fmt: skip
    refuse(wire not in ("openai", "anthropic"), f"unknown wire {wire!r}", "model.extra.wire",
           "use openai or anthropic")  # fmt: skip


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
