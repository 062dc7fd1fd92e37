"""The provider registry: name -> Provider (client factory, key variable, prices, checks).

Adding a provider: a module with its client factory, and its line in PROVIDERS. ModelConfig
accepts these names; make_model, pricing, the planner and the demo read the rest from here.
Clients are imported only when one is built (config.py imports this module).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentbench.errors import ConfigError

if TYPE_CHECKING:
    from agentbench.config import ModelConfig
    from agentbench.models.base import Model
    from agentbench.models.pricing import Price
    from agentbench.models.retry import RetryPolicy


@dataclass(frozen=True)
class Provider:
    """One provider: how its client is built, where its key is, what its models cost."""

    name: str
    make: Callable[[ModelConfig, str | None, RetryPolicy | None], Model]  # (cfg, key, retries)
    key_env: str | None = None  # its API key's variable (None: no key, or litellm finds it)
    local: bool = False  # a server on this machine: it takes any key, so a placeholder is sent
    price: Callable[[str], Price | None] | None = None  # model name -> price; None: price table
    check: Callable[[ModelConfig], None] = lambda cfg: None  # its own config errors
    demo_model: str | None = None  # the model `agentbench sweep demo` runs when the key is set


def free(name: str) -> Price:
    """A model served on this machine: its price is known, and it is zero."""
    from agentbench.models.pricing import Price

    return Price(input=0.0, output=0.0)


def _openai(cfg: ModelConfig, key: str | None, rp: RetryPolicy | None, root: str = "") -> Model:
    """The OpenAI-wire client (SDK, or bare aiohttp with `extra: {client: lean}`).

    With `root` (a server on this machine) the /v1 prefix is added when missing.
    """
    if cfg.extra.get("client") == "lean":
        from agentbench.models.lean_model import LeanOpenAIModel as Client
    else:
        from agentbench.models.openai_model import OpenAIModel as Client
    url = (root or cfg.base_url or "https://api.openai.com/v1").rstrip("/")
    url = url + "/v1" if root and not url.endswith("/v1") else url
    return Client(cfg, base_url=url, api_key=key, retry_policy=rp)


def _anthropic(cfg: ModelConfig, key: str | None, rp: RetryPolicy | None) -> Model:
    from agentbench.models.anthropic_model import AnthropicModel

    base = cfg.base_url.rstrip("/").removesuffix("/v1") if cfg.base_url else None
    return AnthropicModel(cfg, base_url=base, api_key=key, retry_policy=rp)


def _litellm(cfg: ModelConfig, key: str | None, rp: RetryPolicy | None) -> Model:
    from agentbench.models.litellm_model import LiteLLMModel

    return LiteLLMModel(cfg, base_url=cfg.base_url, api_key=key, retry_policy=rp)


def _local(cfg: ModelConfig, key: str | None, rp: RetryPolicy | None) -> Model:
    from agentbench.servers.embedded.process import ensure_local_server

    return _openai(cfg, key, rp, root=cfg.base_url or ensure_local_server())


def _scripted(cfg: ModelConfig, key: str | None, rp: RetryPolicy | None) -> Model:
    if cfg.extra.get("wire") == "anthropic":
        return _anthropic(cfg, key, rp)
    return _openai(cfg, key, rp, root=cfg.base_url or "")


def refuse(bad: bool, problem: str, field: str, fix: str) -> None:
    """A ConfigError(problem, field, fix) when `bad`."""
    if bad:
        raise ConfigError(problem, field=field, fix=fix)


def _no_top_k(cfg: ModelConfig) -> None:
    refuse(cfg.top_k is not None, "OpenAI's API has no top_k", "model.top_k",
            "remove it, or use provider litellm/local for a server that takes it")  # fmt: skip


def _no_lean(cfg: ModelConfig) -> None:
    refuse(cfg.extra.get("client") == "lean",
            f"the lean client speaks only the OpenAI wire, not {cfg.provider}",
            "model.extra.client", "drop it, or use provider openai/local/scripted")  # fmt: skip


def _needs_url(cfg: ModelConfig) -> None:
    refuse(not cfg.base_url, "a scripted model needs the server's address", "model.base_url",
            "set it to ScriptedServer.base_url (agentbench serve scripted prints it)")  # fmt: skip


PROVIDERS: dict[str, Provider] = {p.name: p for p in (
    Provider("openai", _openai, "OPENAI_API_KEY", check=_no_top_k, demo_model="gpt-4o-mini"),
    Provider("anthropic", _anthropic, "ANTHROPIC_API_KEY", check=_no_lean,
             demo_model="claude-3-5-haiku-latest"),
    Provider("litellm", _litellm, check=_no_lean),
    Provider("local", _local, local=True, price=free),  # the embedded SmolLM2 server
    Provider("scripted", _scripted, local=True, check=_needs_url),  # a ScriptedServer
)}  # fmt: skip


def get(name: str) -> Provider:
    """The provider registered as `name`; a ConfigError naming the known ones if none is."""
    if name not in PROVIDERS:
        raise ConfigError(
            f"unknown provider {name!r}", field="model.provider", fix=f"use {known()}"
        )
    return PROVIDERS[name]


def known() -> str:
    """The registered names as pydantic lists a Literal's: 'a', 'b' or 'c'."""
    *rest, last = map(repr, PROVIDERS)
    return f"{', '.join(rest)} or {last}" if rest else last


def key_env(cfg: ModelConfig) -> str | None:
    """The variable holding `cfg`'s API key: model.api_key_env, else its provider's default."""
    return cfg.api_key_env or get(cfg.provider).key_env
