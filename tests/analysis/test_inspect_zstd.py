"""Real inspect_ai logs (zstd entries, written by inspect_ai's mock model) import by kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentbench.errors import DataError
from agentbench.importers.inspect_eval import import_inspect, read_inspect
from agentbench.records import ChoiceOutcome, TestOutcome
from agentbench.store.runstore import RunStore
from tests.cli_run import run_cli

ZSTD = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "inspect" / "zstd"


def _results(run: Path) -> dict[tuple[str, int], object]:
    with RunStore.open(run) as store:
        return {(r.key.instance_id, r.key.seed): r for r in store.iter_results()}


def test_mc_with_choices(tmp_path: Path) -> None:
    s = import_inspect(tmp_path / "r", ZSTD / "mc_choices.eval")
    assert (s.n_samples, s.n_done, s.seeds) == (9, 9, [1, 2, 3])
    assert s.notes[0] == (
        "9 samples read as multiple-choice with 2/3/4 options (epoch 1: 3, epoch 2: 3, epoch 3: 3)"
    )
    res = _results(tmp_path / "r")
    o = res["mc1", 3].outcome
    assert isinstance(o, ChoiceOutcome) and o.probs == [0, 0, 1] and o.target == 1
    u = res["mc2", 3].outcome  # "I am not sure.": no letter, uniform and unparsed
    assert u.probs == [0.25] * 4 and not u.parsed


def test_mc_whose_options_are_only_in_the_prompt(tmp_path: Path) -> None:
    """choices is null; the target letter and the prompt's "A) .." lines make it multiple choice."""
    s = import_inspect(tmp_path / "r", ZSTD / "mc_prompt.eval")
    assert s.notes[0].startswith("9 samples read as multiple-choice with 2/3/4 options")
    res = _results(tmp_path / "r")
    o = res["mc2", 2].outcome
    assert isinstance(o, ChoiceOutcome) and o.probs == [1, 0, 0, 0] and o.target == 2
    assert res["mc2", 3].outcome.probs == [0.25] * 4  # "No idea."


def test_plain_qa_is_pass_fail_and_options_flag_is_checked(tmp_path: Path) -> None:
    s = import_inspect(tmp_path / "r", ZSTD / "qa.eval")
    assert s.notes[0] == "6 samples read as pass-fail (epoch 1: 2, epoch 2: 2, epoch 3: 2)"
    res = _results(tmp_path / "r")
    assert isinstance(res["qa1", 3].outcome, TestOutcome) and res["qa1", 3].outcome.passed == [
        False
    ]
    with pytest.raises(DataError, match=r"target '9' is not one of the 4 option letters"):
        import_inspect(tmp_path / "r2", ZSTD / "qa.eval", options=4)
    assert not (tmp_path / "r2").exists()


def test_options_flag_on_the_cli(tmp_path: Path) -> None:
    r = run_cli("import", "inspect", "run", str(ZSTD / "mc_choices.eval"), "--options", "4",
                cwd=tmp_path, env={"COLUMNS": "300"})  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "multiple-choice with 4 options" in r.stdout and "imported 9 samples" in r.stdout


def test_mc_report_takes_an_imported_multiple_choice_run(tmp_path: Path) -> None:
    """KL, Brier and 0/1 for the prompt-only MC log; checked by hand on the 0/1 view."""
    from agentbench.analysis.build import build_report

    run = tmp_path / "r"
    import_inspect(run, ZSTD / "mc_prompt.eval", system="mock")
    rep = build_report(run, groups=0, n_boot=50).mc
    assert rep is not None
    assert set(rep.rows) == {"kl", "brier"}
    # answers: mc1 B,B,C (target B); mc2 C,A,? (C); mc3 B,B,B (B)
    # accuracy = mean(2/3, 1/3, 1) = 2/3
    assert rep.row("brier", "mock")["accuracy"] == pytest.approx(2 / 3)
    (zo,) = rep.zero_one
    # 0/1 main answers: mc1 B (C differs: 1/3); mc2 A and C tie at 1.25/3 -> lowest, A; the
    # uniform unroll's argmax is A too, so only C differs: 1/3; mc3 B, none differ
    assert zo.variance == pytest.approx((1 / 3 + 1 / 3 + 0) / 3)
    assert zo.bias == pytest.approx((0 + 1 + 0) / 3)
    r = run_cli("mc", "report", str(run), "--groups", "0", "--boot", "20", cwd=tmp_path)
    assert r.returncode == 0, r.stderr


def test_report_cli_on_an_imported_mc_run_shows_kl_brier_and_zero_one(tmp_path: Path) -> None:
    """`agentbench report` (the one report) on the prompt-only MC log: the three views side by
    side in 80 columns, the same numbers as the section, and in the HTML page."""
    import re

    from agentbench.analysis.build import build_report

    run = tmp_path / "r"
    import_inspect(run, ZSTD / "mc_prompt.eval", system="mock")
    r = run_cli("report", str(run), "--boot", "50", "--detail-boot", "20", "--groups", "1",
                cwd=tmp_path, env={"COLUMNS": "80"})  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    assert "KL, Brier and 0/1 side by side" in r.stdout
    # accuracy 2/3; 0/1 bias (0 + 1 + 0)/3 and variance (1/3 + 1/3 + 0)/3, as computed above
    line = next(
        ln for ln in r.stdout.splitlines() if ln.lstrip().startswith("mock") and "0.333" in ln
    )
    assert re.search(r"0\.667 .* 0\.333 +0\.222", line), line
    mc = build_report(run, n_boot=50, detail_boot=20, groups=1).mc
    assert mc is not None
    kl, brier = mc.row("kl", "mock"), mc.row("brier", "mock")
    assert f"{kl['incoherence']:.3f}" in line and f"{brier['incoherence']:.3f}" in line
    page = (run / "report" / "report.html").read_text()
    assert "BRIER decomposition" in page and "0/1 view (Domingos)" in page


def test_the_fixtures_are_what_the_installed_inspect_ai_writes(tmp_path: Path) -> None:
    """Regenerate the logs with inspect_ai itself: same zstd layout, same imported outcomes."""
    import subprocess
    import sys
    import zipfile

    pytest.importorskip("inspect_ai")
    r = subprocess.run(
        [sys.executable, str(ZSTD.parent / "make_evals.py"), str(tmp_path / "new")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    for name in ("mc_choices.eval", "mc_prompt.eval", "qa.eval"):
        new = tmp_path / "new" / name
        with zipfile.ZipFile(new) as zf:
            methods = {i.compress_type for i in zf.infolist() if i.filename.startswith("samples/")}
        assert methods == {93}, (name, methods)  # zstd, which zipfile itself cannot read

        def outcomes(path: Path) -> list[tuple[str, int, object]]:
            log = read_inspect(path)
            return sorted(
                (s.key.instance_id, s.key.seed, s.outcome.model_dump() if s.outcome else None)
                for s in log.samples
            )  # type: ignore[return-value]

        assert outcomes(new) == outcomes(ZSTD / name), name
