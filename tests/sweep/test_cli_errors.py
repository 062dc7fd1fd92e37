"""`agentbench run` on a spec with a bad task or system: one line naming the spec, nothing written."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest
import yaml

from tests.cli_run import cli_error

SUITE = Path(__file__).resolve().parents[1] / "fixtures" / "suites" / "agentbench-tiny"


def _spec(tmp_path: Path, *, kind: str = "swebench", scaffold: str = "bash-react") -> Path:
    """A spec file of one SWE-bench task (the tiny fixture suite) and one scripted system."""
    doc = {
        "name": "bad",
        "run_dir": str(tmp_path / "run"),
        "tasks": [{"kind": kind, "dataset": str(SUITE)}],
        "systems": [
            {"name": "s", "model": {"provider": "scripted", "name": "x"}, "scaffold": scaffold}
        ],
        "seeds": 1,
    }
    p = tmp_path / "spec.yaml"
    p.write_text(yaml.safe_dump(doc))
    return p


def _run(spec: Path) -> str:
    """`agentbench run SPEC` must fail with exit 2 and one line; that line."""
    return cli_error("run", str(spec), "--no-progress", cwd=spec.parent)


def test_a_misspelt_scaffold_names_the_spec_and_writes_nothing(tmp_path: Path) -> None:
    line = _run(_spec(tmp_path, scaffold="bash-reactt"))
    assert "spec.yaml: systems.0.scaffold: scaffold 'bash-reactt' not found" in line
    assert "bash-react" in line.split("use a path or one of:")[1]
    assert not (tmp_path / "run").exists()  # no half-made run folder


def test_an_unknown_task_kind_names_the_spec_and_its_index(tmp_path: Path) -> None:
    line = _run(_spec(tmp_path, kind="swebenc"))
    assert "spec.yaml: tasks.0.kind: unknown task kind 'swebenc'" in line
    assert not (tmp_path / "run").exists()


def test_no_docker_engine_is_one_line_and_leaves_no_run_folder(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    (tmp_path / "spec.yaml").write_text(
        spec.read_text().replace(str(tmp_path / "run"), str(tmp_path / "runs" / "run"))
    )
    env = {"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    line = cli_error("run", str(spec), "--no-progress", cwd=tmp_path, code=3, env=env)
    assert "no Docker engine answers" in line
    assert not (tmp_path / "runs").exists()  # neither the run folder nor the parent it made


def _run_into(spec: Path, run_dir: Path, code: int) -> str:
    """`agentbench run SPEC --run-dir RUN_DIR` must fail with `code` on one line: that line."""
    return cli_error("run", str(spec), "--run-dir", str(run_dir), cwd=spec.parent, code=code)


def test_a_corrupt_store_is_one_line_and_gains_nothing(tmp_path: Path) -> None:
    run = tmp_path / "old"
    run.mkdir()
    (run / "store.sqlite").write_bytes(b"SQLite format 3\x00" + b"\x07" * 3000)  # torn header
    line = _run_into(_spec(tmp_path), run, code=2)
    assert "old/store.sqlite: not a readable SQLite run store" in line
    assert sorted(p.name for p in run.iterdir()) == ["store.sqlite"]  # no trajectories/ added


def test_a_file_as_run_folder_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a folder")
    line = _run_into(_spec(tmp_path), tmp_path / "notes.txt", code=3)
    assert "notes.txt: cannot create the run folder" in line


def _free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("opts", "code", "expect"),
    [
        (["--ray-num-cpus", "0"], 2, "--ray-num-cpus: 0 CPUs"),
        (["--ray-num-cpus", "1", "--ray-cpus-per-sample", "2"], 2,
         "a sample needs 2.0 CPUs but the cluster has 1"),
        (["--address", "127.0.0.1:{port}"], 3, "--address: no Ray head answers at 127.0.0.1:"),
    ],
)  # fmt: skip
def test_ray_options_that_could_never_run_are_refused(
    tmp_path: Path, opts: list[str], code: int, expect: str
) -> None:
    spec = _spec(tmp_path)
    port = str(_free_port())
    line = cli_error("run", str(spec), "--executor", "ray", "--no-progress",
                     *[o.replace("{port}", port) for o in opts], cwd=tmp_path, code=code)  # fmt: skip
    assert expect in line
    assert not (tmp_path / "run").exists()


def test_another_tools_database_is_refused_untouched(tmp_path: Path) -> None:
    run = tmp_path / "theirs"
    run.mkdir()
    with sqlite3.connect(run / "store.sqlite") as db:
        db.execute("CREATE TABLE results (x)")
    line = _run_into(_spec(tmp_path), run, code=2)
    assert "theirs/store.sqlite: not an agentbench run store (it holds tables results)" in line
    with sqlite3.connect(run / "store.sqlite") as db:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert names == ["results"]  # none of our tables were added to it
    assert sorted(p.name for p in run.iterdir()) == ["store.sqlite"]


@pytest.mark.parametrize("override", ["=3", "systems..name=x"])
def test_a_set_override_without_a_key_is_named(tmp_path: Path, override: str) -> None:
    line = cli_error("run", str(_spec(tmp_path)), "--set", override, cwd=tmp_path)
    assert f"spec.yaml: --set '{override}' has an empty key" in line


def test_a_bad_scaffold_override_is_placed_in_the_spec(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    line = cli_error("run", str(spec), "--set", "systems.0.scaffold_overrides.nosuch=1",
                     cwd=tmp_path)  # fmt: skip
    assert "spec.yaml: systems.0.scaffold_overrides.nosuch:" in line


@pytest.mark.parametrize(
    "opts", [["--address", "auto"], ["--ray-num-cpus", "4"], ["--ray-cpus-per-sample", "2"]]
)
def test_ray_options_on_a_local_run_are_refused(tmp_path: Path, opts: list[str]) -> None:
    line = cli_error("run", str(_spec(tmp_path)), "--no-progress", *opts, cwd=tmp_path)
    assert f"{opts[0]}: is an option of the ray executor" in line and "--executor ray" in line
    assert not (tmp_path / "run").exists()
