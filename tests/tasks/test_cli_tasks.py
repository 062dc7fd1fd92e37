"""The `agentbench tasks` commands, through the real CLI entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agentbench.commands.tasks import app


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from agentbench.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)


def test_ls_suites_and_instances(tiny_suite: Path) -> None:
    r = CliRunner().invoke(app, ["ls"])
    assert r.exit_code == 0 and "agentbench-mini" in r.output
    r = CliRunner().invoke(app, ["ls", str(tiny_suite), "--filter", "calc-2"])
    assert r.exit_code == 0 and "calc-2" in r.output and "calc-1" not in r.output


def test_bad_input_is_one_line_and_nonzero(tmp_path: Path, tiny_suite: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"instance_id": "x"}\n')
    r = _cli("tasks", "ls", str(bad))
    assert r.returncode != 0
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and "row 1" in err and str(bad) in err
    r = _cli(
        "tasks",
        "grade",
        "calc-1",
        "--dataset",
        str(tiny_suite),
        "--patch",
        str(tmp_path / "no.patch"),
    )
    assert r.returncode != 0 and "cannot read the patch" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.docker
def test_grade_with_regrade(
    docker_client: Any, base_image: str, tiny_suite: Path, tmp_path: Path
) -> None:
    from agentbench.tasks.swebench.dataset import load_dataset

    inst = load_dataset(str(tiny_suite)).by_id()["calc-2"]
    patch = tmp_path / "gold.patch"
    patch.write_text(inst.patch)
    r = CliRunner().invoke(
        app,
        ["grade", "calc-2", "--dataset", str(tiny_suite), "--patch", str(patch), "--regrade", "2"],
    )
    assert r.exit_code == 0, r.output
    assert "resolved=True" in r.output and "flaky: none over 2 grading(s)" in r.output
