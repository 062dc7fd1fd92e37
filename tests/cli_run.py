"""The real `agentbench` entry point in a subprocess, for the bad-input tests of every part."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`agentbench ARGS` as a user runs it (cli.main, so UserErrors become one line)."""
    return subprocess.run(
        [sys.executable, "-m", "agentbench.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def cli_error(*args: str, cwd: Path, code: int = 2, env: dict[str, str] | None = None) -> str:
    """Run `agentbench ARGS`: it must exit with `code` and print one line, no traceback.

    Returns that line with its whitespace collapsed (rich wraps long lines on a narrow
    terminal).
    """
    r = run_cli(*args, cwd=cwd, env=env)
    assert r.returncode == code, r.stdout + r.stderr
    assert "Traceback" not in r.stderr + r.stdout, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    return " ".join(lines[0].split())
