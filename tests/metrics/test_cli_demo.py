"""`agentbench metrics demo` through the real CLI entry point."""

from __future__ import annotations

import os
import subprocess
import sys

from agentbench.metrics import simulate_tests


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentbench.cli", "metrics", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "120"},
    )


def test_demo_prints_estimates_beside_truth() -> None:
    proc = run_cli("demo", "--seed", "7", "--questions", "80", "--unrolls", "12", "--boot", "200")
    assert proc.returncode == 0, proc.stderr
    truth = simulate_tests(80, 12, seed=7).truth
    out = proc.stdout
    for label in ("bias²", "variance", "error", "incoherence", "resolved rate"):
        assert label in out
    assert f"{truth.incoherence:.4f}" in out and f"{truth.variance:.4f}" in out
    assert "80 instances x 12 unrolls, seed 7" in out


def test_demo_bad_option_is_one_line_error() -> None:
    proc = run_cli("demo", "--unrolls", "1")
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "unrolls >= 2" in lines[0]
    assert "Traceback" not in proc.stderr
