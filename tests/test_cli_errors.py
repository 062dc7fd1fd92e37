"""The `agentbench` entry point: usage mistakes are one line and a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_run import cli_error, run_cli


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["report", "run", "--groups", "abc"], "'--groups'"),
        (["report", "run", "--frobnicate"], "--frobnicate"),
        (["frobnicate"], "'frobnicate'"),
        (["report"], "'run_dir'"),
        (["import", "swe", "out", "x"], "'swe' is not one of"),
    ],
)
def test_usage_mistakes_are_one_line_exit_2(tmp_path: Path, args: list[str], expect: str) -> None:
    line = cli_error(*args, cwd=tmp_path)
    assert expect in line and "--help" in line
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_bare_group_prints_its_help(tmp_path: Path) -> None:
    r = run_cli("mc", cwd=tmp_path)
    assert "Traceback" not in r.stderr
    assert r.returncode == 0 and "mc [OPTIONS] COMMAND" in r.stdout


def test_brackets_in_a_path_are_printed_not_read_as_markup(tmp_path: Path) -> None:
    assert "[/draft]/spec.yaml: file not found" in cli_error(
        "run", "[/draft]/spec.yaml", cwd=tmp_path
    )


def test_a_commands_exit_code_is_the_processs(tmp_path: Path) -> None:
    # A command's `raise typer.Exit(n)` (tasks validate on a failure) must reach the shell.
    script = (
        "import sys, typer, agentbench.cli as c\n"
        "@c.app.command('boom')\n"
        "def boom() -> None:\n"
        "    raise typer.Exit(4)\n"
        "sys.argv = ['agentbench', 'boom']\n"
        "c.main()\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert r.returncode == 4, r.stderr
