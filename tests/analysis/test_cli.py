"""The report / compare commands as a user runs them (a real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.analysis.stores import draw_tests, fill, graded, missing_sample, system


def _agentbench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentbench.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
    )


def _store(path: Path) -> Path:
    rng = np.random.default_rng(2)
    a, b = system("alpha", 0.1), system("beta", 0.9)
    samples = []
    for sys_, p in ((a, 0.6), (b, 0.9)):
        for q, mat in enumerate(draw_tests([np.full(3, p)] * 12, 6, rng)):
            samples += [graded(sys_, f"i{q}", r, mat[r], 3 + r) for r in range(6)]
    samples.append(missing_sample(a, "i0", 99, "sandbox: container did not start"))
    return fill(path, [a, b], samples)


def test_report_and_compare_commands(tmp_path: Path) -> None:
    """report prints the table and writes the HTML; compare prints paired differences."""
    run = _store(tmp_path / "run")
    res = _agentbench("report", str(run), "--boot", "50", "--detail-boot", "20", "--groups", "3")
    assert res.returncode == 0, res.stderr
    assert "alpha" in res.stdout and "beta" in res.stdout and "incoherence" in res.stdout
    assert "fewer than 30" in res.stdout and "MISSING samples: 1" in res.stdout
    assert "sandbox: container did not start" in res.stdout
    assert (run / "report" / "report.html").is_file()
    out = tmp_path / "cmp"
    res = _agentbench("compare", str(run), "--boot", "50", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert "paired differences" in res.stdout and "beta" in res.stdout
    html = (out / "compare.html").read_text()
    assert "beta − alpha" in html and "data:image/png;base64," in html
    (comp,) = json.loads((out / "compare.json").read_text())
    assert comp["pairs"][0]["baseline"] == "alpha" and comp["n_shared"] == 12


def test_not_a_run_store_is_one_line(tmp_path: Path) -> None:
    """A folder that is not a run store: one error line, non-zero exit, no traceback."""
    for cmd in ("report", "compare"):
        res = _agentbench(cmd, str(tmp_path))
        assert res.returncode != 0
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1, res.stderr
        assert "no run store" in lines[0] and str(tmp_path) in lines[0]
        assert "Traceback" not in res.stderr
    run = _store(tmp_path / "run")
    res = _agentbench("report", str(run), "--confidence", "1.5")
    assert res.returncode != 0 and "confidence" in res.stderr and "Traceback" not in res.stderr
