"""The suite's pytest settings run tests in a worker: a test that dies by a signal fails alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTEST = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml")]

CRASHY = """
import os, signal
def test_before(): assert True
def test_dies_in_native_code(): os.kill(os.getpid(), signal.SIGSEGV)
def test_after(): assert True
"""


def test_a_test_killed_by_a_signal_fails_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "test_crashy.py").write_text(CRASHY)
    res = subprocess.run(
        [*PYTEST, "--rootdir", str(tmp_path), "-p", "no:cacheprovider", "-q", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = res.stdout + res.stderr
    assert res.returncode == 1, out
    assert "1 failed, 2 passed" in out
    assert "crashed while running 'test_crashy.py::test_dies_in_native_code'" in out
    assert "Segmentation fault" in out  # faulthandler in the worker names the signal
