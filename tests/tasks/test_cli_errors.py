"""`agentbench tasks` on bad datasets: one line naming the file, a non-zero exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(("name", "text"), [("rows.jsonl", "\n\n"), ("rows.json", "[]")])
def test_an_empty_dataset_is_an_error_not_zero_instances(
    tmp_path: Path, name: str, text: str
) -> None:
    (tmp_path / name).write_text(text)
    r = subprocess.run(
        [sys.executable, "-m", "agentbench.cli", "tasks", "ls", name],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert f"{name}: no rows" in " ".join(r.stderr.split())


SUITE = Path(__file__).resolve().parents[1] / "fixtures" / "suites" / "agentbench-tiny"


@pytest.mark.parametrize(
    ("opts", "expect"),
    [
        (["--image-source", "nope"], "--image-source: unknown image source 'nope'"),
        (["--timeout", "0"], "--timeout: 0.0 is not a positive number of seconds"),
    ],
)
def test_grade_names_the_bad_option(tmp_path: Path, opts: list[str], expect: str) -> None:
    (tmp_path / "empty.diff").write_text("")
    r = subprocess.run(
        [sys.executable, "-m", "agentbench.cli", "tasks", "grade", "calc-1",
         "--dataset", str(SUITE), "--patch", "empty.diff", *opts],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert expect in " ".join(r.stderr.split())
