"""Names from a shared run (escape sequences, rich markup) print as literal text in the terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from agentbench.textsafe import plain, safe
from tests.analysis.stores import draw_tests, fill, graded, missing_sample, system

HOSTILE = "\x1b]0;pwned\x07\x1b]8;;http://evil.example\x07click\x1b]8;;\x07\x1b[2J[link=http://evil.example]x[/link]"


def test_hostile_system_names_reach_the_terminal_as_plain_text(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    a = system(HOSTILE, 0.5)
    samples = [
        graded(a, f"i{q}", r, mat[r], 3)
        for q, mat in enumerate(draw_tests([np.full(2, 0.5)] * 3, 4, rng))
        for r in range(4)
    ]
    samples.append(missing_sample(a, "\x1b[31mred-instance", 9, "sandbox: \x1b]0;title\x07gone"))
    run = fill(tmp_path / "run", [a], samples)
    res = subprocess.run(
        [sys.executable, "-m", "agentbench.cli", "report", str(run), "--boot", "20", "--detail-boot", "10"],
        capture_output=True, text=True, timeout=300,
        env={"COLUMNS": "400", "PATH": "/usr/bin:/bin", "PYTHONPATH": os.environ.get("PYTHONPATH", "")},
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    shown = res.stdout + res.stderr
    assert "\x1b" not in shown and "\x07" not in shown
    assert "[link=http://evil.example]x[/link]" in shown  # markup printed literally, not obeyed
    assert "red-instance" in shown and "sandbox: gone" in shown


@given(st.text())
def test_plain_leaves_no_control_characters(text: str) -> None:
    out = plain(text)
    assert not any((ord(c) < 32 and c not in "\t\n") or 0x7F <= ord(c) <= 0x9F for c in out)
    assert plain(out) == out


def test_safe_keeps_ordinary_text() -> None:
    assert plain("système-A_1 (t=0.5)\tok\n") == "système-A_1 (t=0.5)\tok\n"
    assert safe("[bold]x[/]") == "\\[bold]x\\[/]"
