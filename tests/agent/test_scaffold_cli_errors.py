"""`agentbench scaffold check` on something that is not a readable file: one line, exit 2."""

from __future__ import annotations

from pathlib import Path

from tests.cli_run import cli_error


def test_a_folder_instead_of_a_scaffold_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "myscaffold").mkdir()
    line = cli_error("scaffold", "check", "myscaffold", cwd=tmp_path)
    assert "myscaffold: cannot read the scaffold" in line
