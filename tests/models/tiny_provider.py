"""A minimal provider in one module: the whole of what adding a provider takes (plus its line).

It speaks the OpenAI wire through the project's real OpenAI client, reads its key from its own
variable, prices its models at a rate of its own and counts the clients it built.
"""

from __future__ import annotations

from agentbench.config import ModelConfig
from agentbench.models.base import Model
from agentbench.models.openai_model import OpenAIModel
from agentbench.models.pricing import Price
from agentbench.models.providers import Provider
from agentbench.models.retry import RetryPolicy

BUILT: list[str] = []  # model names of the clients make() built
PRICE = Price(input=3.0, output=7.0)  # USD per Mtok, found in no price table


def make(cfg: ModelConfig, key: str | None, rp: RetryPolicy | None) -> Model:
    """An OpenAI-wire client for `cfg.base_url` (a server root)."""
    BUILT.append(cfg.name)
    assert cfg.base_url is not None
    return OpenAIModel(cfg, base_url=cfg.base_url + "/v1", api_key=key, retry_policy=rp)


TINY = Provider("tiny", make, key_env="TINY_API_KEY", price=lambda name: PRICE)
