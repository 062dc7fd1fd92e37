"""`agentbench import` mistakes: one line naming the file and option, nothing written."""

from __future__ import annotations

from pathlib import Path

from tests.cli_run import cli_error

MSA = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "minisweagent"


def test_a_missing_reports_folder_names_the_option(tmp_path: Path) -> None:
    line = cli_error("import", "mini-swe-agent", "run", str(MSA / "seed0"), "--reports", "nope",
                     "--dataset", str(MSA / "dataset.jsonl"), cwd=tmp_path)  # fmt: skip
    assert "nope: --reports: no such file or folder (pass the SWE-bench harness" in line
    assert not (tmp_path / "run").exists()
