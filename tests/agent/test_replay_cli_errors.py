"""`agentbench replay` mistakes: one line, a non-zero exit, no fork folder left behind."""

from __future__ import annotations

from pathlib import Path

from agentbench.records import SampleKey, StartEvent
from agentbench.scaffold import load_scaffold
from agentbench.trajectory import TrajectoryWriter
from tests.cli_run import cli_error


def _traj(tmp_path: Path) -> Path:
    """A trajectory holding only its start event (no model calls: fork point 0 only)."""
    path = tmp_path / "t.jsonl"
    key = SampleKey(task="t", instance_id="i", system="s", system_hash="h", seed=0)
    system = {
        "name": "s",
        "model": {"provider": "openai", "name": "m", "base_url": "http://127.0.0.1:9/v1"},
        "scaffold": "bash-react",
    }
    with TrajectoryWriter(path) as w:
        w.write(
            StartEvent(
                key=key,
                t=0.0,
                scaffold=load_scaffold("bash-react").model_dump(mode="json"),
                system_config=system,
                task_info={"image": "no-such-image:latest", "workdir": "/w"},
            )
        )
    return path


def _fails(tmp_path: Path, *args: str, code: int) -> str:
    """`agentbench replay ARGS` with no Docker engine must fail with `code` on one line."""
    env = {"OPENAI_API_KEY": "x", "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    return cli_error("replay", *args, cwd=tmp_path, code=code, env=env)


def test_zero_seeds_is_refused(tmp_path: Path) -> None:
    line = _fails(tmp_path, str(_traj(tmp_path)), "--fork-at", "0", "--seeds", "0", code=2)
    assert "--seeds: 0 must be at least 1" in line


def test_no_docker_engine_leaves_no_fork_folder(tmp_path: Path) -> None:
    # naming the recorded endpoint is the replayer's choice: no notice beside the error line
    args = ("--fork-at", "0", "--seeds", "1", "--base-url", "http://127.0.0.1:9/v1")
    line = _fails(tmp_path, str(_traj(tmp_path)), *args, code=3)
    assert "no Docker engine answers" in line
    assert not (tmp_path / "t.forks").exists()


def test_a_folder_instead_of_a_trajectory_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    assert "run: cannot read" in _fails(tmp_path, "run", code=2)
