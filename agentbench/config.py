"""Configs shared across parts: which model, which scaffold, which limits make a system."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, PrivateAttr, field_validator
from pydantic_core import PydanticCustomError

from agentbench.models.providers import PROVIDERS, known
from agentbench.records import Record, content_hash


class ModelConfig(Record):
    """How to reach one model and how to sample from it."""

    provider: str  # a name registered in agentbench/models/providers.py
    name: str
    base_url: str | None = None
    api_key_env: str | None = (
        None  # name of the env var holding the key; the key itself is never stored
    )
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_tokens: int | None = None
    reasoning_budget: int | None = None
    reasoning_effort: Literal["minimal", "low", "medium", "high"] | None = None
    max_concurrency: int = 16
    timeout_s: float = 600.0
    max_retries: int = 6
    cache: bool = False  # response cache; off by default for fresh unrolls
    cache_dir: str | None = None
    price_input_per_mtok: float | None = None  # overrides the price table
    price_output_per_mtok: float | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("provider")
    @classmethod
    def _registered(cls, v: str) -> str:
        if v not in PROVIDERS:  # worded as the Literal it replaces was
            raise PydanticCustomError(
                "unknown_provider", "Input should be {known}", {"known": known()}
            )
        return v


class LimitsConfig(Record):
    """Limits that end an unroll (it is still graded)."""

    max_steps: int = 50
    max_messages: int = 250
    max_tokens: int | None = None
    max_cost_usd: float | None = None
    max_wall_s: float = 3600.0
    max_format_errors: int = 10
    command_timeout_s: float = 120.0


class SystemConfig(Record):
    """A system under test: model + scaffold + settings. Its hash is part of every sample key."""

    name: str
    model: ModelConfig
    scaffold: str  # a name in scaffolds/ or a path to a YAML file
    scaffold_overrides: dict[str, Any] = Field(default_factory=dict)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    # (key of scaffold + overrides, digest): read once per config, re-read by a copy that changes them
    _digest: tuple[str, str | None] | None = PrivateAttr(default=None)

    def config_hash(self) -> str:
        """Hash of everything that changes behaviour (the name is a label and is left out)."""
        d = self.model_dump(mode="json", exclude={"name"})
        # where the model is served and where its cache lives do not change the system
        for k in ("base_url", "api_key_env", "max_concurrency", "cache", "cache_dir"):
            d["model"].pop(k, None)
        for k in ("client", "stream"):  # transport choices: same requests, same answers
            d["model"]["extra"].pop(k, None)
        # The scaffold is named by file: its content (templates included) must be in the
        # hash, or editing a shipped YAML would silently mix two behaviours under one key.
        key = content_hash({"scaffold": self.scaffold, "overrides": d["scaffold_overrides"]})
        if self._digest is None or self._digest[0] != key:
            self._digest = (key, scaffold_digest(self.scaffold, self.scaffold_overrides))
        d["scaffold_digest"] = self._digest[1]
        return content_hash(d)


def scaffold_digest(scaffold: str, overrides: dict[str, Any]) -> str | None:
    """Content hash of the resolved scaffold, or None when no scaffold file of that name exists."""
    from agentbench.scaffold import (  # lazy: scaffold imports LimitsConfig from here
        load_scaffold,
        resolve_scaffold_path,
    )

    path = resolve_scaffold_path(scaffold)
    if not path.is_file():
        return None  # e.g. systems imported from other tools name their scaffold only
    return load_scaffold(path, overrides).content_hash()
