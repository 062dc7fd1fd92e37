"""Scaffold loading, validation errors that name the key, templates, limit merging."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agentbench.config import LimitsConfig
from agentbench.errors import ConfigError
from agentbench.scaffold import (
    SAMPLE_TASK_VARS,
    check_scaffold,
    list_scaffolds,
    load_scaffold,
)


@pytest.mark.parametrize("name", ["bash-react", "bash-block", "edit-tool"])
def test_shipped_scaffolds_load_and_render(name: str) -> None:
    sc = load_scaffold(name)
    rendered = check_scaffold(sc)
    assert SAMPLE_TASK_VARS["problem_statement"] in rendered["instance_template"]
    assert "/testbed" in rendered["instance_template"]
    assert "hello" in rendered["observation_template"]


def test_all_shipped_files_are_valid() -> None:
    names = {p.stem for p in list_scaffolds()}
    assert {"bash-react", "bash-block", "edit-tool"} <= names
    for p in list_scaffolds():
        load_scaffold(p)


def test_bash_block_mentions_sentinel_and_react_has_submit_tool() -> None:
    block = load_scaffold("bash-block")
    assert block.action_format == "bash_block"
    assert block.submit_sentinel in check_scaffold(block)["system_template"]
    react = load_scaffold("bash-react")
    assert react.tool_names == ["bash", "submit"]
    assert load_scaffold("edit-tool").tool_names == ["bash", "edit", "submit"]


def _write(tmp_path: Path, data: dict, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data))
    return p


BASE = {
    "action_format": "tool_calls",
    "tools": ["bash", "submit"],
    "system_template": "sys",
    "instance_template": "fix {{ problem_statement }} in {{ workdir }}",
}


def test_unknown_key_is_named(tmp_path: Path) -> None:
    p = _write(tmp_path, {**BASE, "truncation": {"head_chars": 10, "tial_chars": 5}})
    with pytest.raises(ConfigError) as ei:
        load_scaffold(p)
    msg = str(ei.value)
    assert str(p) in msg and "truncation.tial_chars" in msg


def test_wrong_type_is_named(tmp_path: Path) -> None:
    p = _write(tmp_path, {**BASE, "limits": {"max_steps": "many"}})
    with pytest.raises(ConfigError, match=r"limits\.max_steps"):
        load_scaffold(p)


def test_undefined_template_variable_found_by_check(tmp_path: Path) -> None:
    p = _write(tmp_path, {**BASE, "instance_template": "{{ problem_statment }}"})
    sc = load_scaffold(p)  # syntax is fine; the name only fails when rendered
    with pytest.raises(ConfigError, match=r"instance_template: .*problem_statment"):
        check_scaffold(sc)
    # ... and passes once the task supplies it
    assert check_scaffold(sc, {"problem_statment": "x"})["instance_template"] == "x"


def test_template_syntax_error_names_field(tmp_path: Path) -> None:
    p = _write(tmp_path, {**BASE, "system_template": "{% if %}"})
    with pytest.raises(ConfigError, match="system_template"):
        load_scaffold(p)


def test_bash_block_rejects_extra_tools_and_tool_calls_needs_submit(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="tools"):
        load_scaffold(_write(tmp_path, {**BASE, "action_format": "bash_block"}))
    with pytest.raises(ConfigError, match="submit"):
        load_scaffold(_write(tmp_path, {**BASE, "tools": ["bash"]}))
    with pytest.raises(ConfigError, match="tools"):
        load_scaffold(_write(tmp_path, {**BASE, "tools": ["bash", "submit", "rm"]}))


def test_template_file_next_to_yaml(tmp_path: Path) -> None:
    (tmp_path / "t.j2").write_text("from file: {{ repo }}")
    raw = {k: v for k, v in BASE.items() if k != "instance_template"}
    p = _write(tmp_path, {**raw, "instance_template_file": "t.j2"})
    sc = load_scaffold(p)
    assert check_scaffold(sc)["instance_template"] == "from file: example/calc"
    p2 = _write(tmp_path, {**raw, "instance_template_file": "missing.j2"}, "s2.yaml")
    with pytest.raises(ConfigError, match="instance_template_file"):
        load_scaffold(p2)


def test_overrides_deep_merge_and_validate() -> None:
    sc = load_scaffold("bash-react", {"truncation": {"head_chars": 7}, "limits": {"max_steps": 3}})
    assert sc.truncation.head_chars == 7
    assert sc.truncation.tail_chars == 5000  # untouched sibling survives the merge
    with pytest.raises(ConfigError, match=r"truncation\.head_chars"):
        load_scaffold("bash-react", {"truncation": {"head_chars": -1}})


def test_missing_scaffold_lists_known_names() -> None:
    with pytest.raises(ConfigError, match="bash-react"):
        load_scaffold("no-such-scaffold")


def test_invalid_yaml(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_scaffold(p)


def test_effective_limits_system_explicit_wins() -> None:
    sc = load_scaffold("bash-react", {"limits": {"max_steps": 7, "command_timeout_s": 5}})
    lim = sc.effective_limits(LimitsConfig.model_validate({"max_steps": 3}))
    assert lim.max_steps == 3  # set explicitly by the system
    assert lim.command_timeout_s == 5  # scaffold default
    assert lim.max_format_errors == LimitsConfig().max_format_errors  # global default


def test_content_hash_tracks_templates() -> None:
    a = load_scaffold("bash-react")
    b = load_scaffold("bash-react", {"system_template": "different"})
    assert a.content_hash() != b.content_hash()
    assert a.content_hash() == load_scaffold("bash-react").content_hash()
