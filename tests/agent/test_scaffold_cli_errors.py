"""`agentbench scaffold check` on something that is not a readable file: one line, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_a_folder_instead_of_a_scaffold_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "myscaffold").mkdir()
    r = subprocess.run(
        [sys.executable, "-m", "agentbench.cli", "scaffold", "check", "myscaffold"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "myscaffold: cannot read the scaffold" in " ".join(r.stderr.split())
