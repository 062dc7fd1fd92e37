"""`agentbench report` option mistakes: one line naming the option, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.analysis.test_compare_cli_errors import _run
from tests.cli_run import cli_error


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
    assert expect in cli_error("report", "run", *opts, cwd=tmp_path)
    assert not (tmp_path / "run" / "report").exists()
