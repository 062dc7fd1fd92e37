"""`agentbench import` mistakes: one line naming the file and option, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MSA = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "minisweagent"


def test_a_missing_reports_folder_names_the_option(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "agentbench.cli", "import", "mini-swe-agent", "run",
         str(MSA / "seed0"), "--reports", "nope", "--dataset", str(MSA / "dataset.jsonl")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    line = " ".join(r.stderr.split())
    assert "nope: --reports: no such file or folder (pass the SWE-bench harness" in line
    assert not (tmp_path / "run").exists()
