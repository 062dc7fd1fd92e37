"""Importers: hand-written mini-swe-agent / SWE-bench harness / inspect_ai files into a real store."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from agentbench.analysis.build import build_report
from agentbench.errors import DataError
from agentbench.importers.inspect_eval import import_inspect
from agentbench.importers.minisweagent import import_minisweagent
from agentbench.records import ChoiceOutcome, ExitStatus, SampleStatus, TestOutcome
from agentbench.store.runstore import RunStore

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
MINI = FIX / "minisweagent"
MODEL = "anthropic/claude-sonnet-4-20250514"


def _results(run: Path) -> dict[tuple[str, int], object]:
    with RunStore.open(run) as store:
        return {(r.key.instance_id, r.key.seed): r for r in store.iter_results()}


def _eval_zip(src: Path, dest: Path, edit=None) -> Path:
    """Zip a hand-written log folder into an .eval archive (optionally editing a member)."""
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(src.rglob("*.json")):
            name = f.relative_to(src).as_posix()
            data = f.read_bytes()
            if edit is not None:
                data = edit(name, data)
            if data is not None:
                zf.writestr(name, data)
    return dest


def test_minisweagent_two_seeds(tmp_path: Path) -> None:
    """Submitted+report, limit hit, crash, unapplied patch, resolved: each mapped per §2b."""
    run = tmp_path / "run"
    s0 = import_minisweagent(
        run, MINI / "seed0", MINI / "reports0", seed=0, dataset=MINI / "dataset.jsonl"
    )
    assert (s0.n_samples, s0.n_done, s0.n_missing, s0.n_unchanged) == (3, 2, 1, 1)
    assert s0.system == MODEL
    s1 = import_minisweagent(run, MINI / "seed1", MINI / "reports1", seed=1)
    assert (s1.n_done, s1.n_missing) == (2, 0) and s1.system_hash == s0.system_hash
    res = _results(run)
    a0, a1 = res["astropy__astropy-12907", 0], res["astropy__astropy-12907", 1]
    assert isinstance(a0.outcome, TestOutcome) and isinstance(a1.outcome, TestOutcome)
    assert a0.outcome.tests == a1.outcome.tests  # one test order per instance
    assert len(a0.outcome.fail_to_pass) == 2 and len(a0.outcome.pass_to_pass) == 3
    assert sum(a0.outcome.passed) == 3 and not a0.resolved
    assert a0.n_actions == 7 and a0.cost_usd == pytest.approx(0.0412)
    assert a1.outcome.passed == [False] * 5 and not a1.outcome.patch_applied
    d0, d1 = res["django__django-11099", 0], res["django__django-11099", 1]
    assert d0.exit_status == ExitStatus.STEP_LIMIT and d0.outcome.unchanged
    assert d0.outcome.passed == [False, False, True]  # F2P fail, P2P pass
    assert d1.resolved and d1.outcome.passed == [True, True, True]
    crash = res["sympy__sympy-20590", 0]
    assert crash.status == SampleStatus.MISSING and crash.outcome is None
    assert crash.error.startswith("mini-swe-agent: RuntimeError: Container 8c1f0e")
    rep = build_report(run, n_boot=50, detail_boot=20)
    (s,) = rep.systems
    assert s.system == MODEL and s.overall.n_questions == 2
    assert s.overall.accuracy.estimate == pytest.approx(0.25)  # (0/2 + 1/2) / 2
    assert rep.missing_by_reason == {"mini-swe-agent": 1}


def test_minisweagent_without_test_lists(tmp_path: Path) -> None:
    """A limit-hit instance with no report and no dataset cannot be graded: MISSING, said why."""
    run = tmp_path / "run"
    s0 = import_minisweagent(run, MINI / "seed0", MINI / "reports0", seed=0, system="mini")
    assert s0.system == "mini" and s0.n_missing == 2
    d0 = _results(run)["django__django-11099", 0]
    assert d0.status == SampleStatus.MISSING and "no test list" in d0.error


def test_minisweagent_bad_files(tmp_path: Path) -> None:
    """Corrupt or foreign files: one-line DataError naming file and field; no store written."""
    bad = tmp_path / "trajs"
    shutil.copytree(MINI / "seed0", bad)
    f = bad / "django__django-11099" / "django__django-11099.traj.json"
    f.write_text(f.read_text()[:200])
    run = tmp_path / "run"
    with pytest.raises(DataError, match="not valid JSON") as exc:
        import_minisweagent(run, bad, MINI / "reports0")
    assert str(f) in str(exc.value) and "\n" not in str(exc.value)
    data = json.loads(
        (MINI / "seed1/django__django-11099/django__django-11099.traj.json").read_text()
    )
    data["trajectory_format"] = "swe-agent-3"
    f.write_text(json.dumps(data))
    with pytest.raises(DataError, match="trajectory_format"):
        import_minisweagent(run, bad, MINI / "reports0")
    del data["trajectory_format"]
    f.write_text(json.dumps(data))
    with pytest.raises(DataError, match="trajectory_format: field is missing"):
        import_minisweagent(run, bad, MINI / "reports0")
    rep = tmp_path / "report.json"
    rep.write_text(json.dumps({"astropy__astropy-12907": {"tests_status": {}}}))
    with pytest.raises(DataError, match="resolved: field is missing"):
        import_minisweagent(run, MINI / "seed0", rep)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match=r"no \*\.traj\.json"):
        import_minisweagent(run, empty)
    assert not (run / "store.sqlite").exists()


def test_inspect_multiple_choice(tmp_path: Path) -> None:
    """Epochs are seeds; a letter answer is one-hot, no answer is uniform; errors are MISSING."""
    log = _eval_zip(FIX / "inspect" / "mc", tmp_path / "mc.eval")
    run = tmp_path / "run"
    s = import_inspect(run, log)
    assert (s.task, s.system, s.seeds) == ("gpqa_diamond", "openai/gpt-4o-mini", [1, 2, 3])
    assert (s.n_samples, s.n_done, s.n_missing) == (6, 5, 1)
    res = _results(run)
    hit, miss, none = res["1", 1], res["1", 2], res["1", 3]
    assert isinstance(hit.outcome, ChoiceOutcome)
    assert hit.outcome.probs == [0, 1, 0, 0] and hit.outcome.target == 1 and hit.resolved
    assert miss.outcome.probs == [1, 0, 0, 0] and not miss.resolved
    assert none.outcome.probs == [0.25] * 4 and not none.outcome.parsed
    assert hit.length == 40 and hit.usage.input_tokens == 250 and hit.n_actions == 1
    err = res["q2", 3]
    assert err.status == SampleStatus.MISSING and "RateLimitError" in err.error
    rep = build_report(run, n_boot=50, detail_boot=20)
    (sr,) = rep.systems
    assert sr.kind == "choice" and sr.overall.n_questions == 2
    assert sr.overall.accuracy.estimate == pytest.approx((1 / 3 + 1) / 2)
    assert rep.missing_by_reason == {"inspect_ai": 1}


def test_inspect_binary_scores(tmp_path: Path) -> None:
    """C/I scores become one-test outcomes; partial credit fails and is noted."""
    log = _eval_zip(FIX / "inspect" / "binary", tmp_path / "b.eval")
    run = tmp_path / "run"
    s = import_inspect(run, log, system="haiku")
    assert s.n_done == 4 and any("partial" in n for n in s.notes)
    res = _results(run)
    assert res["7", 1].outcome.passed == [True] and res["7", 2].outcome.passed == [False]
    assert res["8", 2].outcome.passed == [False] and res["8", 1].resolved
    rep = build_report(run, n_boot=50, detail_boot=20)
    assert rep.systems[0].kind == "tests" and rep.systems[0].overall.accuracy.estimate == 0.5


def test_inspect_bad_files(tmp_path: Path) -> None:
    """Not a zip, no header, a non-binary score: DataError naming file and field."""
    run = tmp_path / "run"
    junk = tmp_path / "junk.eval"
    junk.write_text("hello")
    with pytest.raises(DataError, match="not a zip archive"):
        import_inspect(run, junk)
    nohead = _eval_zip(
        FIX / "inspect" / "binary", tmp_path / "nohead.eval",
        lambda n, d: None if n == "header.json" else d,
    )  # fmt: skip
    with pytest.raises(DataError, match=r"no header\.json"):
        import_inspect(run, nohead)

    def graded(name: str, data: bytes) -> bytes:
        return data.replace(b'"value": "I"', b'"value": 0.7') if "7_epoch_2" in name else data

    fuzzy = _eval_zip(FIX / "inspect" / "binary", tmp_path / "fuzzy.eval", graded)
    with pytest.raises(DataError, match=r"scores\.match\.value") as exc:
        import_inspect(run, fuzzy)
    assert "7_epoch_2.json" in str(exc.value)
    assert not (run / "store.sqlite").exists()


def test_import_command(tmp_path: Path) -> None:
    """`agentbench import` for both sources, then `agentbench report` on the result."""
    run = tmp_path / "run"
    log = _eval_zip(FIX / "inspect" / "binary", tmp_path / "b.eval")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "agentbench.cli", *args],
            capture_output=True, text=True, timeout=300, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
        )  # fmt: skip

    r = cli("import", "inspect", str(run), str(log))
    assert r.returncode == 0, r.stderr
    assert "imported 4 samples" in r.stdout
    r = cli("import", "mini-swe-agent", str(run), str(MINI / "seed1"), "--reports",
            str(MINI / "reports1"), "--seed", "1")  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = cli("report", str(run), "--boot", "20", "--detail-boot", "20", "--no-html")
    assert r.returncode == 0, r.stderr
    assert MODEL in r.stdout and "anthropic/claude-3-5-haiku-latest" in r.stdout
    r = cli("import", "inspect", str(run), str(tmp_path / "missing.eval"))
    assert r.returncode != 0 and "no such file" in r.stderr and "Traceback" not in r.stderr
