"""Prices per million tokens, and the cost of one response. Unknown price → None, never 0.

Order of precedence: ModelConfig price overrides, the provider's own price (providers.py; the
embedded model's is zero), the bundled table below, litellm's cost map (read from its bundled
local copy; LITELLM_LOCAL_MODEL_COST_MAP=True keeps it offline).
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

from agentbench.config import ModelConfig
from agentbench.models.providers import get
from agentbench.records import Record, Usage


class Price(Record):
    """USD per million tokens; cached input defaults to the input price."""

    input: float
    output: float
    cached_input: float | None = None


# Public list prices (USD / Mtok) of well-known models; litellm's map covers the rest.
BUNDLED: dict[str, Price] = {
    "gpt-4o": Price(input=2.50, output=10.00, cached_input=1.25),
    "gpt-4o-mini": Price(input=0.15, output=0.60, cached_input=0.075),
    "gpt-4.1": Price(input=2.00, output=8.00, cached_input=0.50),
    "gpt-4.1-mini": Price(input=0.40, output=1.60, cached_input=0.10),
    "gpt-4.1-nano": Price(input=0.10, output=0.40, cached_input=0.025),
    "gpt-5": Price(input=1.25, output=10.00, cached_input=0.125),
    "gpt-5-mini": Price(input=0.25, output=2.00, cached_input=0.025),
    "gpt-5-nano": Price(input=0.05, output=0.40, cached_input=0.005),
    "o3": Price(input=2.00, output=8.00, cached_input=0.50),
    "o3-mini": Price(input=1.10, output=4.40, cached_input=0.55),
    "o4-mini": Price(input=1.10, output=4.40, cached_input=0.275),
    "claude-3-5-haiku": Price(input=0.80, output=4.00, cached_input=0.08),
    "claude-3-7-sonnet": Price(input=3.00, output=15.00, cached_input=0.30),
    "claude-sonnet-4": Price(input=3.00, output=15.00, cached_input=0.30),
    "claude-sonnet-4-5": Price(input=3.00, output=15.00, cached_input=0.30),
    "claude-haiku-4-5": Price(input=1.00, output=5.00, cached_input=0.10),
    "claude-opus-4": Price(input=15.00, output=75.00, cached_input=1.50),
    "claude-opus-4-1": Price(input=15.00, output=75.00, cached_input=1.50),
}

_DATE = re.compile(r"-(\d{8}|\d{4}-\d{2}-\d{2})$")
_PREFIX = re.compile(r"^[a-z_]+/")


def _candidates(name: str) -> list[str]:
    """Lookup names: as given, without a provider/ prefix, without a date suffix, -latest."""
    bare = _PREFIX.sub("", name.lower())
    out = [name, bare, _DATE.sub("", bare)]
    if bare.endswith("-latest"):
        out.append(bare.removesuffix("-latest"))
    return list(dict.fromkeys(out))


@lru_cache(maxsize=512)
def _litellm_price(name: str) -> Price | None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    try:
        import litellm
    except ImportError:
        return None
    for cand in (name, _PREFIX.sub("", name)):
        info = litellm.model_cost.get(cand)
        if not info:
            continue
        inp, out = info.get("input_cost_per_token"), info.get("output_cost_per_token")
        if inp is None or out is None:
            continue
        cached = info.get("cache_read_input_token_cost")
        return Price(
            input=inp * 1e6,
            output=out * 1e6,
            cached_input=cached * 1e6 if cached is not None else None,
        )
    return None


def lookup(name: str) -> Price | None:
    """The price of model `name` from the bundled table, else litellm's map, else None."""
    for cand in _candidates(name):
        if cand in BUNDLED:
            return BUNDLED[cand]
    return _litellm_price(name)


def price_for(cfg: ModelConfig) -> Price | None:
    """The price for a configured model, overrides first; None when unknown."""
    table = (get(cfg.provider).price or lookup)(cfg.name)
    inp, out = cfg.price_input_per_mtok, cfg.price_output_per_mtok
    inp = table.input if inp is None and table else inp
    out = table.output if out is None and table else out
    if inp is None or out is None:
        return None
    # an overridden input price leaves the table's cached price behind with it
    cached = table.cached_input if table and cfg.price_input_per_mtok is None else None
    return Price(input=inp, output=out, cached_input=cached)


def cost_usd(price: Price | None, usage: Usage) -> float | None:
    """USD for `usage` at `price` (input includes cached tokens; output includes reasoning)."""
    if price is None:
        return None
    cached = min(usage.cached_tokens, usage.input_tokens)
    cached_price = price.cached_input if price.cached_input is not None else price.input
    return (
        (usage.input_tokens - cached) * price.input
        + cached * cached_price
        + usage.output_tokens * price.output
    ) / 1e6
