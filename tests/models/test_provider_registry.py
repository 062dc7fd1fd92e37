"""Adding a provider: one module (tiny_provider.py) and one registry line, then it just works.

Config validation, the API key variable, the client, the price and the planner's key check all
come from the registry: with the line left out the provider is refused everywhere.
"""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest
import yaml

from agentbench.config import ModelConfig, SystemConfig
from agentbench.errors import ConfigError, EnvironmentProblem
from agentbench.models.factory import make_model
from agentbench.models.providers import PROVIDERS
from agentbench.planning.readiness import missing_keys
from agentbench.records import Usage
from agentbench.servers.scripted import Reply, ScriptedServer
from agentbench.sweep.spec import load_spec

from . import tiny_provider
from .helpers import FAST, ask, complete

BUILTIN = "'openai', 'anthropic', 'litellm', 'local' or 'scripted'"


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry line for tiny_provider (undone after the test)."""
    monkeypatch.setitem(PROVIDERS, "tiny", tiny_provider.TINY)
    tiny_provider.BUILT.clear()


def _spec(tmp_path: Path, provider: str) -> Path:
    p = tmp_path / "spec.yaml"
    system = {"name": "s", "model": {"provider": provider, "name": "m"}, "scaffold": "bash-react"}
    p.write_text(yaml.safe_dump({"name": "n", "tasks": [{"kind": "mc"}], "systems": [system]}))
    return p


def test_an_unregistered_provider_is_refused_with_the_known_names(tmp_path: Path) -> None:
    with pytest.raises(pydantic.ValidationError, match=f"Input should be {BUILTIN}"):
        ModelConfig(provider="tiny", name="m")
    with pytest.raises(ConfigError) as err:
        load_spec(_spec(tmp_path, "tiny"))
    msg = str(err.value)
    assert "\n" not in msg
    assert "systems.0.model.provider" in msg and BUILTIN in msg


@pytest.mark.usefixtures("tiny")
def test_a_registered_provider_is_known_to_validation(tmp_path: Path) -> None:
    assert load_spec(_spec(tmp_path, "tiny")).systems[0].model.provider == "tiny"
    with pytest.raises(ConfigError, match="'scripted' or 'tiny'"):
        load_spec(_spec(tmp_path, "tinny"))


@pytest.mark.usefixtures("tiny")
def test_one_call_through_the_registered_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    usage = Usage(input_tokens=1000, output_tokens=200)
    with ScriptedServer.from_replies([Reply(text="tiny says hi", usage=usage)]) as srv:
        cfg = ModelConfig(provider="tiny", name="tiny-1", base_url=srv.base_url)
        system = SystemConfig(name="t", model=cfg, scaffold="bash-react")
        monkeypatch.delenv("TINY_API_KEY", raising=False)
        # its key variable comes from the registry: the planner and make_model both name it
        assert missing_keys([system]) == ["API key: TINY_API_KEY is not set (system t)"]
        with pytest.raises(EnvironmentProblem, match="TINY_API_KEY"):
            make_model(cfg)
        monkeypatch.setenv("TINY_API_KEY", "tiny-key")
        assert missing_keys([system]) == []
        model = make_model(cfg, retry_policy=FAST)
        resp = complete(model, ask("hello tiny", model="tiny-1"))
    assert tiny_provider.BUILT == ["tiny-1"]  # built by the provider's own factory
    assert resp.text == "tiny says hi"
    assert [c.model for c in srv.calls] == ["tiny-1"]  # a real HTTP call reached the server
    # priced by the provider's lookup: 1000 in at $3/Mtok + 200 out at $7/Mtok
    assert resp.cost_usd == pytest.approx((1000 * 3.0 + 200 * 7.0) / 1e6)
