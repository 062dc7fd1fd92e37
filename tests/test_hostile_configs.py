"""Hostile specs and trajectories through the real CLI: one line naming the limit, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_run import cli_error

DEEP_YAML = "name: t\nsystems: " + "[" * 100_000 + "]" * 100_000 + "\n"
# eight levels of ten aliases: 10^8 values for whoever walks the parsed spec
LAUGHS = (
    "name: t\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9))
    + "systems: [*a8]\n"
)


def test_a_deeply_nested_spec_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "deep.yaml").write_text(DEEP_YAML)
    line = cli_error("run", "deep.yaml", "--no-progress", cwd=tmp_path, code=2)
    assert "deep.yaml: nested more than 128 levels deep" in line


def test_an_alias_bomb_spec_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "laughs.yaml").write_text(LAUGHS)
    line = cli_error("run", "laughs.yaml", "--no-progress", cwd=tmp_path, code=2)
    assert "laughs.yaml:" in line and "values once aliases are expanded" in line


def test_an_alias_bomb_model_config_for_replay_is_one_line(tmp_path: Path) -> None:
    traj = tmp_path / "t.jsonl"
    traj.write_text('{"type":"start","key":{"task":"t","instance_id":"i","system":"s",'
                    '"system_hash":"h","seed":0},"t":0,"task_info":{"image":"x"}}\n')  # fmt: skip
    (tmp_path / "m.yaml").write_text(LAUGHS)
    line = cli_error("replay", "t.jsonl", "--fork-at", "0", "--model-config", "m.yaml",
                     cwd=tmp_path, code=2)  # fmt: skip
    assert "m.yaml:" in line and "values once aliases are expanded" in line


def test_a_deeply_nested_trajectory_is_one_line_in_replay(tmp_path: Path) -> None:
    traj = tmp_path / "deep.jsonl"
    traj.write_text('{"type":"start","x":' + "[" * 200_000 + "]" * 200_000 + "}\n")
    line = cli_error("replay", "deep.jsonl", cwd=tmp_path, code=2)
    assert "deep.jsonl: line 1" in line and "levels deep, over the limit" in line


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("scaffold.yaml", ["scaffold", "check", "scaffold.yaml"]),
        ("script.yaml", ["serve", "scripted", "--script", "script.yaml"]),
        ("synth.yaml", ["synth", "train", "-c", "synth.yaml", "--out", "out"]),
        ("suite/suite.yaml", ["tasks", "ls", "suite"]),
    ],
)
def test_every_yaml_a_user_hands_us_is_read_under_the_caps(
    tmp_path: Path, name: str, args: list[str]
) -> None:
    # these four were read with plain yaml.safe_load: an alias bomb would expand in full
    (tmp_path / name).parent.mkdir(exist_ok=True)
    (tmp_path / name).write_text(LAUGHS)
    line = cli_error(*args, cwd=tmp_path, code=2)
    assert f"{name}:" in line and "values once aliases are expanded" in line
    assert not (tmp_path / "out").exists()
