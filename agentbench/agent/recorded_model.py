"""The model config a replay or fork may take from a trajectory someone else wrote.

A shared trajectory is untrusted input: its `base_url`, `api_key_env` and connection extras
would make the replayer's client read a host variable the file picked and send it to a host
the file picked. So only what the model *is* and how it samples is taken from the file;
where it is reached and with which key come from the person replaying (their flags or their
provider's defaults). The recorded endpoint is shown and used only when a flag names it.
"""

from __future__ import annotations

from typing import Any

from agentbench.config import ModelConfig
from agentbench.errors import DataError
from agentbench.models.client import RESERVED_EXTRA
from agentbench.records import first_problem

# ModelConfig fields that say what the model is and how it samples: safe to take from a file
TRUSTED_FIELDS = frozenset(
    {
        "provider",
        "name",
        "temperature",
        "top_p",
        "top_k",
        "max_tokens",
        "reasoning_budget",
        "reasoning_effort",
        "max_concurrency",
        "timeout_s",
        "max_retries",
        "price_input_per_mtok",
        "price_output_per_mtok",
    }
)
# extra keys that only shape sampling; anything else (api_base, headers, keys ...) is dropped
SAMPLING_EXTRA = frozenset(
    {
        "seed",
        "stop",
        "min_p",
        "repetition_penalty",
        "presence_penalty",
        "frequency_penalty",
        "thinking",
        "chat_template_kwargs",
        "n_probs",
    }
)


class RecordedModel:
    """The recorded model config split into what is used and what is withheld (and shown)."""

    def __init__(self, recorded: Any, *, source: str) -> None:
        if not isinstance(recorded, dict):
            raise DataError(
                "the start event has no model config",
                path=source,
                field="start.system_config.model",
                fix="pass --model-config",
            )
        self.source = source
        self.recorded = recorded
        self.base_url = recorded.get("base_url")
        self.api_key_env = recorded.get("api_key_env")
        extra = recorded.get("extra") if isinstance(recorded.get("extra"), dict) else {}
        keep = SAMPLING_EXTRA | RESERVED_EXTRA
        self.extra = {k: v for k, v in extra.items() if k in keep}
        self.withheld_extra = sorted(str(k) for k in extra if k not in keep)

    def withheld(self) -> dict[str, Any]:
        """The connection settings the file asks for that are not used unless named."""
        out: dict[str, Any] = {}
        if self.base_url:
            out["base_url"] = self.base_url
        if self.api_key_env:
            out["api_key_env"] = self.api_key_env
        if self.withheld_extra:
            out["extra"] = self.withheld_extra
        return out

    def config(self, *, base_url: str | None, api_key_env: str | None) -> ModelConfig:
        """The replayer's ModelConfig: recorded model and sampling, endpoint and key from the flags."""
        from pydantic import ValidationError

        fields = {k: v for k, v in self.recorded.items() if k in TRUSTED_FIELDS}
        fields["extra"] = self.extra
        fields["base_url"] = base_url
        fields["api_key_env"] = api_key_env
        try:
            return ModelConfig.model_validate(fields)
        except ValidationError as exc:
            loc, msg, _ = first_problem(exc)
            field = f"start.system_config.model.{loc}"
            raise DataError(msg, path=self.source, field=field, fix="pass --model-config") from None
