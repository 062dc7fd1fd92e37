"""`agentbench tasks` on bad datasets: one line naming the file, a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_run import cli_error


@pytest.mark.parametrize(("name", "text"), [("rows.jsonl", "\n\n"), ("rows.json", "[]")])
def test_an_empty_dataset_is_an_error_not_zero_instances(
    tmp_path: Path, name: str, text: str
) -> None:
    (tmp_path / name).write_text(text)
    assert f"{name}: no rows" in cli_error("tasks", "ls", name, cwd=tmp_path)


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
    line = cli_error("tasks", "grade", "calc-1", "--dataset", str(SUITE), "--patch", "empty.diff",
                     *opts, cwd=tmp_path)  # fmt: skip
    assert expect in line
