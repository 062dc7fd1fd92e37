"""`agentbench mc ...`: report, prompt, budgets, questions, demo; bad input is one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from agentbench.commands.mc import app
from agentbench.sweep.spec import load_spec
from agentbench.tasks.mc import MCTask
from agentbench.tasks.mc.scripted import KnownDistributionResponder, difficulty_truth
from tests.mc.helpers import MMLU_ROWS, write_rows
from tests.mc.sweeps import run_mc


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from agentbench.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("mccli") / "run"
    spec = {"kind": "mc", "name": "arith", "dataset": {"n": 3, "difficulty": [1, 4]},
            "contexts": 4, "shots": 1, "shuffle": True}  # fmt: skip
    task = MCTask.from_spec(spec)
    dist, length = difficulty_truth(task)
    run_mc(run_dir, spec, KnownDistributionResponder(task, dist, length=length), seeds=8)
    return run_dir


def test_report_command(small_run: Path, tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["report", str(small_run), "--out", str(tmp_path / "rep"),
                                 "--groups", "2", "--boot", "50"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "incoherence" in r.output and "report:" in r.output
    assert (tmp_path / "rep" / "report.html").is_file()
    assert (tmp_path / "rep" / "incoherence_vs_length.png").is_file()


def test_prompt_command_rebuilds_the_exact_prompt(small_run: Path) -> None:
    task = MCTask.from_spec(
        {"kind": "mc", "name": "arith", "dataset": {"n": 3, "difficulty": [1, 4]},
         "contexts": 4, "shots": 1, "shuffle": True}
    )  # fmt: skip
    qid = task.instance_ids()[2]
    r = CliRunner().invoke(app, ["prompt", str(small_run), qid, "5"])
    assert r.exit_code == 0, r.output
    assert task.prompt(qid, 5)[-1].content in r.output
    assert "Answer: " in r.output and "parsed True" in r.output


def test_budgets_command_writes_systems_that_differ_only_in_budget(tmp_path: Path) -> None:
    src = tmp_path / "s.yaml"
    src.write_text(yaml.safe_dump({
        "name": "b", "seeds": 30,
        "tasks": [{"kind": "mc", "dataset": {"n": 2}}],
        "systems": [{"name": "claude", "scaffold": "mc",
                     "model": {"provider": "anthropic", "name": "claude-x", "max_tokens": 20000}}],
    }))  # fmt: skip
    out = tmp_path / "out.yaml"
    r = CliRunner().invoke(app, ["budgets", str(src), "--system", "claude", "--tokens",
                                 "1024,4096", "--efforts", "low,high", "-o", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    spec = load_spec(out)
    names = [s.name for s in spec.systems]
    assert names == ["claude-think1024", "claude-think4096", "claude-low", "claude-high"]
    dumps = [
        s.model.model_dump(exclude={"reasoning_budget", "reasoning_effort"}) for s in spec.systems
    ]
    assert all(d == dumps[0] for d in dumps)
    assert [s.model.reasoning_budget for s in spec.systems] == [1024, 4096, None, None]
    bad = CliRunner().invoke(app, ["budgets", str(src), "--system", "claude", "--tokens",
                                   "30000", "-o", str(out)])  # fmt: skip
    assert bad.exit_code != 0  # max_tokens must exceed the budget


def test_questions_command_reads_a_local_file(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "mmlu.parquet", MMLU_ROWS)
    r = CliRunner().invoke(app, ["questions", "--source", "mmlu", "--path", str(path), "--json"])
    assert r.exit_code == 0, r.output
    assert "4 questions" in r.output and '"target": 3' in r.output


def test_bad_input_is_one_line_through_the_real_entry_point(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q", "choices": ["a", "b"]}\n')
    r = _cli("mc", "questions", "--source", "mmlu", "--path", str(bad))
    assert r.returncode != 0
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and str(bad) in err and "answer" in err
    r = _cli("mc", "questions", "--source", "gpqa", "--config", "diamond")  # HF_HUB_OFFLINE=1
    assert r.returncode == 3 and len(r.stderr.strip().splitlines()) == 1
    assert "Idavidrein/gpqa" in r.stderr and "dataset.path" in r.stderr
    r = _cli("mc", "report", str(tmp_path))
    assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1
    assert "no run store" in r.stderr


def test_demo_with_the_scripted_model(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["demo", "--out", str(tmp_path), "--questions", "2",
                                 "--difficulty", "1,3", "--seeds", "8", "--boot", "50",
                                 "--groups", "2"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "32 unrolls done, 0 missing" in r.output
    assert (tmp_path / "report" / "report.html").is_file()
