"""The provider registry: name -> Provider (client factory, API key variable, prices, checks).

Adding a provider: a module with its client factory, and its line in PROVIDERS. ModelConfig
accepts the names registered here; make_model, pricing, the planner and the demo read the rest.
Client modules are imported only when a client is built: config.py imports this module.
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

# (config, API key or None, retry policy) -> a ready Model
MakeClient = Callable[["ModelConfig", "str | None", "RetryPolicy | None"], "Model"]


def free(name: str) -> Price:
    """A model served on this machine: its price is known, and it is zero."""
    from agentbench.models.pricing import Price

    return Price(input=0.0, output=0.0)


@dataclass(frozen=True)
class Provider:
    """One provider: how its client is built, where its key is, what its models cost."""

    name: str
    make: MakeClient
    key_env: str | None = (
        None  # the variable holding its API key (None: no key, or found elsewhere)
    )
    local: bool = False  # a server on this machine: it takes any key, so a placeholder is sent
    price: Callable[[str], Price | None] | None = None  # model name -> price; None: price table
    check: Callable[[ModelConfig], None] = lambda cfg: None  # its own config errors
    demo_model: str | None = None  # the model `agentbench sweep demo` runs when the key is set


def _v1(url: str) -> str:
    """OpenAI clients want the /v1 prefix; accept a server root too."""
    url = url.rstrip("/")
    return url if url.endswith("/v1") else url + "/v1"


def _openai_wire(cfg: ModelConfig, base_url: str, key: str | None, rp: RetryPolicy | None) -> Model:
    """The OpenAI-wire client: the SDK, or bare aiohttp with `extra: {client: lean}`."""
    if cfg.extra.get("client") == "lean":
        from agentbench.models.lean_model import LeanOpenAIModel as Client
    else:
        from agentbench.models.openai_model import OpenAIModel as Client
    return Client(cfg, base_url=base_url, api_key=key, retry_policy=rp)


def _openai(cfg: ModelConfig, key: str | None, rp: RetryPolicy | None) -> Model:
    return _openai_wire(cfg, (cfg.base_url or "https://api.openai.com/v1").rstrip("/"), key, rp)


def _anthropic(cfg: ModelConfig, key: str | None, rp: RetryPolicy | None) -> Model:
    from agentbench.models.anthropic_model import AnthropicModel

    base = cfg.base_url.rstrip("/").removesuffix("/v1") if cfg.base_url else None
    return AnthropicModel(cfg, base_url=base, api_key=key, retry_policy=rp)


def _litellm(cfg: ModelConfig, key: str | None, rp: RetryPolicy | None) -> Model:
    from agentbench.models.litellm_model import LiteLLMModel

    return LiteLLMModel(cfg, base_url=cfg.base_url, api_key=key, retry_policy=rp)


def _local(cfg: ModelConfig, key: str | None, rp: RetryPolicy | None) -> Model:
    from agentbench.servers.embedded.process import ensure_local_server

    return _openai_wire(cfg, _v1(cfg.base_url or ensure_local_server()), key, rp)


def _scripted(cfg: ModelConfig, key: str | None, rp: RetryPolicy | None) -> Model:
    if cfg.extra.get("wire") == "anthropic":
        return _anthropic(cfg, key, rp)
    assert cfg.base_url is not None  # _needs_url
    return _openai_wire(cfg, _v1(cfg.base_url), key, rp)


def _no_top_k(cfg: ModelConfig) -> None:
    if cfg.top_k is not None:
        raise ConfigError(
            "OpenAI's API has no top_k",
            field="model.top_k",
            fix="remove it, or use provider litellm/local for a server that takes it",
        )


def _no_lean(cfg: ModelConfig) -> None:
    if cfg.extra.get("client") == "lean":
        raise ConfigError(
            f"the lean client speaks only the OpenAI wire, not {cfg.provider}",
            field="model.extra.client",
            fix="drop it, or use provider openai/local/scripted",
        )


def _needs_url(cfg: ModelConfig) -> None:
    if not cfg.base_url:
        raise ConfigError(
            "a scripted model needs the server's address",
            field="model.base_url",
            fix="set it to ScriptedServer.base_url (agentbench serve scripted prints it)",
        )


PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        Provider("openai", _openai, "OPENAI_API_KEY", check=_no_top_k, demo_model="gpt-4o-mini"),
        Provider(
            "anthropic",
            _anthropic,
            "ANTHROPIC_API_KEY",
            check=_no_lean,
            demo_model="claude-3-5-haiku-latest",
        ),
        Provider("litellm", _litellm, check=_no_lean),  # litellm finds its provider's key itself
        Provider("local", _local, local=True, price=free),  # the embedded SmolLM2 server
        Provider("scripted", _scripted, local=True, check=_needs_url),  # a ScriptedServer
    )
}


def get(name: str) -> Provider:
    """The registered provider called `name`; a ConfigError naming the known ones if none is."""
    try:
        return PROVIDERS[name]
    except KeyError:
        raise ConfigError(
            f"unknown provider {name!r}", field="model.provider", fix=f"use one of {known()}"
        ) from None


def known() -> str:
    """The registered names as pydantic lists a Literal's: 'a', 'b' or 'c'."""
    *rest, last = map(repr, PROVIDERS)
    return f"{', '.join(rest)} or {last}" if rest else last


def key_env(cfg: ModelConfig) -> str | None:
    """The variable holding `cfg`'s API key: model.api_key_env, else its provider's default."""
    return cfg.api_key_env or get(cfg.provider).key_env
