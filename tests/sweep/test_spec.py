"""Sweep spec loading: YAML, --set overrides, errors that name the file and key path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from agentbench.errors import ConfigError
from agentbench.sweep.spec import RetryPolicy, load_spec


def _write(tmp_path: Path, doc: Any) -> Path:
    p = tmp_path / "spec.yaml"
    p.write_text(yaml.safe_dump(doc))
    return p


def test_load_and_override(tmp_path: Path, seed_spec: dict[str, Any]) -> None:
    p = _write(tmp_path, seed_spec)
    spec = load_spec(p, ["seeds=10", "systems.0.model.temperature=0.7", "concurrency.samples=2"])
    assert spec.seed_list() == list(range(10))
    assert spec.systems[0].model.temperature == 0.7
    assert spec.concurrency.samples == 2
    spec = load_spec(p, ["seeds=[3, 5]"])
    assert spec.seed_list() == [3, 5]


@pytest.mark.parametrize(
    ("overrides", "field", "needle"),
    [
        (["systems.0.model.temprature=0.5"], "systems.0.model.temprature", "unknown key"),
        (["retry.max_attempts=0"], "retry.max_attempts", "greater than or equal"),
        (["seeds=0"], "seeds", "positive"),
        (["bogus=1"], "bogus", "unknown key"),
        (["systems.7.name=x"], "systems.7", "no list item"),
        (["systems.1.name=a"], None, "two systems are named 'a'"),
        (["systems.1.model.temperature=0.1"], None, "identical"),
    ],
)
def test_bad_keys_name_file_and_path(
    tmp_path: Path, seed_spec: dict[str, Any], overrides: list[str], field: str | None, needle: str
) -> None:
    p = _write(tmp_path, seed_spec)
    with pytest.raises(ConfigError) as ei:
        load_spec(p, overrides)
    msg = str(ei.value)
    assert str(p) in msg
    assert needle in msg
    if field:
        assert ei.value.field == field


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_spec(tmp_path / "nope.yaml")
    p = tmp_path / "bad.yaml"
    p.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_spec(p)


def test_renamed_system_has_same_hash(tmp_path: Path, seed_spec: dict[str, Any]) -> None:
    p = _write(tmp_path, seed_spec)
    a = load_spec(p).systems[0]
    b = load_spec(p, ["systems.0.name=renamed"]).systems[0]
    assert a.name != b.name and a.config_hash() == b.config_hash()


def test_retry_backoff_grows_and_caps() -> None:
    r = RetryPolicy(max_attempts=5, backoff_s=1.0, backoff_factor=3.0, max_backoff_s=5.0)
    assert [r.delay(i) for i in (1, 2, 3)] == [1.0, 3.0, 5.0]


@pytest.mark.parametrize(
    "path", sorted((Path(__file__).parents[2] / "agentbench" / "sweeps").glob("*.yaml"))
)
def test_shipped_specs_validate(path: Path) -> None:
    spec = load_spec(path)
    assert spec.tasks and spec.systems


def test_demo_spec_shape() -> None:
    from agentbench.sweep.demo import demo_spec_path, with_model

    spec = load_spec(demo_spec_path())
    # two action budgets, with the short prompts of the small-model tier
    assert {s.scaffold for s in spec.systems} == {"tiny-oneshot", "tiny-block"}
    assert all("grammar" in s.model.extra for s in spec.systems)
    assert len(spec.seed_list()) >= 5
    (task,) = spec.tasks
    assert all(i.startswith("tinyops-") for i in task["instance_ids"])
    local = with_model(spec, None, "http://127.0.0.1:9")
    assert all(s.model.base_url == "http://127.0.0.1:9" for s in local.systems)
    # where the model is served is not part of the system: the same samples
    assert [s.config_hash() for s in local.systems] == [s.config_hash() for s in spec.systems]
    remote = with_model(spec, ("openai", "gpt-4o-mini"), None)
    assert all(
        s.model.provider == "openai" and s.model.name == "gpt-4o-mini" and not s.model.extra
        for s in remote.systems
    )
    assert remote.systems[0].config_hash() != spec.systems[0].config_hash()


def test_demo_model_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentbench.commands.sweep import demo_model_from_env

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert demo_model_from_env() is None
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    assert demo_model_from_env() == ("anthropic", "claude-3-5-haiku-latest")
    assert demo_model_from_env("claude-x") == ("anthropic", "claude-x")
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    assert demo_model_from_env() == ("openai", "gpt-4o-mini")  # OpenAI first
