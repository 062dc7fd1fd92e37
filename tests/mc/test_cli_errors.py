"""`agentbench mc` option mistakes: one line naming the option, a non-zero exit, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_run import cli_error

EXAMPLE = Path(__file__).resolve().parents[2] / "agentbench" / "sweeps" / "example.yaml"


def _fails(*args: str, cwd: Path, code: int = 2) -> str:
    """`agentbench mc ARGS` must fail with `code` on one line: that line."""
    return cli_error("mc", *args, cwd=cwd, code=code)


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--source", "gpq"], "--source: Input should be 'procedural'"),
        (["--difficulty", "abc"], "--difficulty: 'abc' is not a list of integers"),
        (["--n", "-1"], "--n: Input should be greater than or equal to 1"),
    ],
)
def test_questions_names_the_bad_option(tmp_path: Path, args: list[str], expect: str) -> None:
    assert expect in _fails("questions", *args, cwd=tmp_path)


def test_budgets_with_an_unknown_effort_names_the_option(tmp_path: Path) -> None:
    line = _fails("budgets", str(EXAMPLE), "--system", "gpt-react", "--efforts", "huge",
                  "-o", "out.yaml", cwd=tmp_path)  # fmt: skip
    assert "--efforts: unknown effort 'huge'" in line and "medium" in line
    assert not (tmp_path / "out.yaml").exists()


def test_budgets_into_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    line = _fails("budgets", str(EXAMPLE), "--system", "gpt-react", "--tokens", "1024",
                  "-o", "nodir/out.yaml", cwd=tmp_path, code=3)  # fmt: skip
    assert "nodir/out.yaml: --output: cannot write the spec" in line


@pytest.fixture(scope="module")
def mc_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small finished mc run (the bundled scripted demo, a few seconds)."""
    out = tmp_path_factory.mktemp("mc") / "demo"
    r = subprocess.run(
        [sys.executable, "-m", "agentbench.cli", "mc", "demo", "--out", str(out),
         "--questions", "2", "--seeds", "3", "--contexts", "2", "--boot", "20"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    return out / "run"


@pytest.mark.parametrize(
    ("opts", "expect"),
    [
        (["--boot", "0"], "--boot: 0 bootstrap draws is too few"),
        # the one report builder's wording, as for `agentbench report`
        (["--confidence", "2"], "--confidence: confidence=2.0 must lie strictly between 0 and 1"),
        (["--groups", "-1"], "--groups: groups=-1 must be at least 0"),
    ],
)
def test_report_names_the_bad_option(
    mc_run: Path, tmp_path: Path, opts: list[str], expect: str
) -> None:
    out = tmp_path / "rep"
    assert expect in _fails("report", str(mc_run), "--out", str(out), *opts, cwd=tmp_path)
    assert not out.exists()


def test_report_into_a_file_is_one_line(mc_run: Path, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("a file")
    line = _fails("report", str(mc_run), "--out", "f", cwd=tmp_path, code=3)
    # the one report writer (analysis.write) words it for every report
    assert "f: cannot create the output folder" in line and "--out" in line


def test_prompt_of_an_unknown_question_says_where_ids_are(mc_run: Path, tmp_path: Path) -> None:
    line = _fails("prompt", str(mc_run), "nope", "0", cwd=tmp_path)
    assert "question 'nope' is not in task" in line and "agentbench view" in line
