"""`agentbench report` option mistakes: one line naming the option, exit 2, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.analysis.test_compare_cli_errors import _run


@pytest.mark.parametrize(
    ("opts", "expect"),
    [
        (["--groups", "0"], "--groups: groups=0 must be at least 1"),
        (["--detail-boot", "3"], "--detail-boot: 3 bootstrap draws is too few"),
        (["--confidence", "2"], "--confidence: confidence=2.0 must lie strictly between"),
    ],
)
def test_report_names_the_bad_option(tmp_path: Path, opts: list[str], expect: str) -> None:
    _run(tmp_path / "run")
    r = subprocess.run(
        [sys.executable, "-m", "agentbench.cli", "report", "run", *opts],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert expect in " ".join(r.stderr.split())
    assert not (tmp_path / "run" / "report").exists()
