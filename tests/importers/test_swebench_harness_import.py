"""`agentbench import swebench-harness`: real harness layout in, a report with bias/variance out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from swebench.harness.grading import get_eval_report
from swebench.harness.utils import make_test_spec

from agentbench.analysis.build import build_report
from agentbench.importers.swebench_harness import import_swebench_harness
from agentbench.records import SampleStatus, TestOutcome
from agentbench.store.runstore import RunStore
from agentbench.trajectory import read_trajectory
from tests.cli_run import cli_error, run_cli

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "swebench_harness"
RUNS = FIX / "logs" / "run_evaluation"
MODEL = "openai__gpt-x"
DISAGREES = ("run_b", "pytest-dev__pytest-5227")
PARSERS = {"django/django": "django", "pytest-dev/pytest": "pytest", "sympy/sympy": "sympy"}


def _rows() -> dict[str, dict]:
    return {
        r["instance_id"]: r
        for r in map(json.loads, (FIX / "dataset.jsonl").read_text().splitlines())
    }


def _results(run: Path) -> dict[tuple[str, int], object]:
    with RunStore.open(run) as store:
        return {(r.key.instance_id, r.key.seed): r for r in store.iter_results()}


@pytest.mark.parametrize("run", ["run_a", "run_b"])
def test_fixture_reports_are_what_swebench_computes(run: str) -> None:
    """Every report.json is swebench's get_eval_report of its test_output.txt, bar the edited one."""
    for iid, row in _rows().items():
        d = RUNS / run / MODEL / iid
        assert {p.name for p in d.iterdir()} == {
            "test_output.txt", "report.json", "eval.sh", "patch.diff", "run_instance.log"
        }  # fmt: skip
        spec = make_test_spec(
            {**row, "image": "x", "eval_type": "pass_and_fail", "eval_script": (d / "eval.sh").read_text(),
             "log_parser": f"parse_log_{PARSERS[row['repo']]}"}
        )  # fmt: skip
        pred = {"instance_id": iid, "model_name_or_path": "openai/gpt-x",
                "model_patch": (d / "patch.diff").read_text()}  # fmt: skip
        want = get_eval_report(spec, pred, str(d / "test_output.txt"), include_tests_status=True)
        have = json.loads((d / "report.json").read_text())
        assert (have == want) is ((run, iid) != DISAGREES)


@pytest.mark.parametrize("with_dataset", [True, False])
def test_two_runs_become_two_seeds(tmp_path: Path, with_dataset: bool) -> None:
    run = tmp_path / "run"
    (s,) = import_swebench_harness(
        run,
        [RUNS / "run_a", RUNS / "run_b"],
        dataset=FIX / "dataset.jsonl" if with_dataset else None,
    )
    assert (s.n_samples, s.n_done, s.n_missing, s.seeds) == (6, 6, 0, [0, 1])
    assert s.system == "openai/gpt-x"
    (note,) = s.notes
    assert note.startswith(
        "run_b/openai__gpt-x/pytest-dev__pytest-5227: log and report.json disagree"
    )
    assert "test_nothing_logged: report.json failed, log passed" in note
    res = _results(run)
    d0, d1 = res["django__django-11099", 0], res["django__django-11099", 1]
    assert isinstance(d0.outcome, TestOutcome)
    names = d0.outcome.tests
    assert names[:2] == [
        "test_ascii_validator (auth_tests.test_validators.UsernameValidatorsTests)",
        "test_unicode_validator (auth_tests.test_validators.UsernameValidatorsTests)",
    ]
    assert d0.outcome.passed == [True] * 4 and d0.resolved
    assert d1.outcome.passed == [False, False, True, True] and not d1.resolved  # runs differ
    flagged = res["pytest-dev__pytest-5227", 1].outcome
    assert flagged.passed == [True, True, True]  # the log's grading, flagged
    assert "disagree on 1 test(s)" in flagged.grading_notes[0]
    assert res["pytest-dev__pytest-5227", 0].outcome.grading_notes == []
    assert res["sympy__sympy-20590", 0].outcome.passed[0] is False
    # patch and eval script kept with the sample
    with RunStore.open(run) as store:
        traj = read_trajectory(store.trajectory_file(d0))
    assert (
        traj.end.patch
        == (RUNS / "run_a" / MODEL / "django__django-11099" / "patch.diff").read_text()
    )
    assert traj.start.task_info["eval_script"].startswith("#!/bin/bash")
    # METHODS §2b by hand: django ybar=[.5,.5,1,1]: bias² .125, var .125; pytest 0, 0;
    # sympy ybar=[0,1,1]: bias² 1/3, var 0; resolved 1/2, 1, 0
    rep = build_report(run, n_boot=20, detail_boot=20)
    (sr,) = rep.systems
    assert sr.overall.accuracy.estimate == pytest.approx(0.5)
    assert sr.overall.bias2.estimate == pytest.approx((0.125 + 1 / 3) / 3)
    assert sr.overall.variance.estimate == pytest.approx(0.125 / 3)


def test_cli_import_then_report(tmp_path: Path) -> None:
    run = tmp_path / "run"
    r = run_cli("import", "swebench-harness", str(run), str(RUNS / "run_a"), str(RUNS / "run_b"),
                "--dataset", str(FIX / "dataset.jsonl"), cwd=tmp_path, env={"COLUMNS": "250"})  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "imported 6 samples of openai/gpt-x on swebench (seeds 0, 1): 6 graded" in r.stdout
    assert "disagree on 1 test(s)" in r.stdout
    r = run_cli("report", str(run), "--boot", "20", "--detail-boot", "20", "--no-html",
                cwd=tmp_path, env={"COLUMNS": "250"})  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "bias²" in r.stdout and "variance" in r.stdout and "0.153" in r.stdout


def _copy_run(tmp_path: Path) -> Path:
    dst = tmp_path / "logs" / "run_a"
    shutil.copytree(RUNS / "run_a", dst)
    return dst


def _bad(tmp_path: Path, *extra: str, run: Path | None = None) -> str:
    line = cli_error("import", "swebench-harness", "store", str(run or _copy_run(tmp_path)), *extra,
                     cwd=tmp_path)  # fmt: skip
    assert not (tmp_path / "store").exists()  # nothing half-written
    assert line.startswith("error: ")
    return line.removeprefix("error: ")


def test_missing_report_json(tmp_path: Path) -> None:
    src = _copy_run(tmp_path)
    (src / MODEL / "sympy__sympy-20590" / "report.json").unlink()
    line = _bad(tmp_path, run=src)
    assert line.startswith(f"{src / MODEL / 'sympy__sympy-20590' / 'report.json'}: missing (pass")


def test_unknown_repo_parser(tmp_path: Path) -> None:
    src = _copy_run(tmp_path)
    d = src / MODEL / "acme__widgets-7"
    shutil.copytree(src / MODEL / "django__django-11099", d)
    rep = json.loads((d / "report.json").read_text())
    (d / "report.json").write_text(json.dumps({"acme__widgets-7": rep["django__django-11099"]}))
    line = _bad(tmp_path, run=src)
    assert (
        line == f"{d}: no swebench log parser known for repo 'acme/widgets' "
        "(pass --dataset with rows that carry a log_parser column for this instance)"
    )


def test_report_naming_tests_outside_the_dataset(tmp_path: Path) -> None:
    src = _copy_run(tmp_path)
    f = src / MODEL / "django__django-11099" / "report.json"
    rep = json.loads(f.read_text())
    rep["django__django-11099"]["tests_status"]["PASS_TO_PASS"]["success"].append(
        "test_ghost (x.Y)"
    )
    f.write_text(json.dumps(rep))
    line = _bad(tmp_path, "--dataset", str(FIX / "dataset.jsonl"), run=src)
    assert line.startswith(f"{f}: django__django-11099.tests_status: names 1 test(s) outside")


def test_unparsable_log_is_missing_with_reason(tmp_path: Path) -> None:
    src = _copy_run(tmp_path)
    (src / MODEL / "sympy__sympy-20590" / "test_output.txt").write_text("Killed\n")
    (s,) = import_swebench_harness(tmp_path / "store", [src])
    assert s.n_missing == 1 and "not a SWE-bench grading log" in s.notes[0]
    r = _results(tmp_path / "store")["sympy__sympy-20590", 0]
    assert r.status == SampleStatus.MISSING and r.outcome is None


def test_not_a_run_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    line = _bad(tmp_path, run=tmp_path / "empty")
    assert "no <model>/<instance_id>/ folders here" in line


def test_viewer_pages_for_an_imported_sample(tmp_path: Path) -> None:
    import re

    from agentbench.view import paths
    from agentbench.view.runs import open_runs
    from agentbench.view.site import Site

    run = tmp_path / "run"
    (s,) = import_swebench_harness(
        run, [RUNS / "run_a", RUNS / "run_b"], dataset=FIX / "dataset.jsonl"
    )
    res = _results(run)
    opened = open_runs([run])
    try:
        site = Site(opened)
        page = site.render(paths.trajectory(0, res["django__django-11099", 0].key.key))
        assert page.status == 200
        assert (
            '<span class="add">+    regex = r&#39;^[\\w.@+-]+\\Z&#39;</span>' in page.body.decode()
        )
        iid = "django__django-11099"
        page = site.render(paths.instance(0, s.system_hash, "swebench", iid))
        assert page.status == 200
        page = site.render(paths.divergence(0, s.system_hash, "swebench", iid))
        groups = re.findall(r"<h3>(\d+) seeds? · (\d+) resolved · ([^<]*)</h3>", page.body.decode())
        # run_a's fixing patch, run_b's other one: two groups of one
        assert groups == [("1", "1", "django/contrib/auth/validators.py"), ("1", "0", "x.py")]
    finally:
        for r in opened:
            r.close()


def test_harness_timeout_and_unapplied_patch_have_no_report_and_still_import(
    tmp_path: Path,
) -> None:
    """run_evaluation writes no report.json for these two; the logs say what happened."""
    src = _copy_run(tmp_path)
    t = src / MODEL / "sympy__sympy-20590"
    (t / "report.json").unlink()
    with (t / "test_output.txt").open("a") as fh:
        fh.write("\n\nTimeout error: 1800 seconds exceeded.")  # what the harness appends
    a = src / MODEL / "django__django-11099"
    (a / "report.json").unlink()
    (a / "test_output.txt").unlink()
    with (a / "run_instance.log").open("a") as fh:
        fh.write(
            "2024-01-01 00:00:02,000 - INFO - >>>>> Patch Apply Failed:\nerror: corrupt patch\n"
        )
    (s,) = import_swebench_harness(tmp_path / "store", [src], dataset=FIX / "dataset.jsonl")
    assert s.n_done == 3
    assert any("sympy__sympy-20590: tests timed out" in n for n in s.notes)
    assert any("django__django-11099: patch did not apply" in n for n in s.notes)
    res = _results(tmp_path / "store")
    assert res["django__django-11099", 0].outcome.passed == [False] * 4
    assert not res["django__django-11099", 0].outcome.patch_applied
    assert res["sympy__sympy-20590", 0].outcome.passed == [False] * 3


def test_the_run_evaluation_folder_itself_names_its_run_folders(tmp_path: Path) -> None:
    line = _bad(tmp_path, run=RUNS)
    assert line.startswith(f"{RUNS}: this holds run folders, not model folders (pass its run_id")
    assert str(RUNS / "run_a") in line


def test_deeply_nested_report_json_is_one_line(tmp_path: Path) -> None:
    # json.loads raised RecursionError (a traceback) before the importers' nesting cap
    src = _copy_run(tmp_path)
    report = src / MODEL / "sympy__sympy-20590" / "report.json"
    report.write_text("[" * 200_000 + "]" * 200_000)
    line = _bad(tmp_path, run=src)
    assert line.startswith(f"{report}: JSON nested 200000 levels deep, over the limit of 256")


def test_the_dataset_may_be_the_hubs_parquet(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from agentbench.importers.swebench_harness import dataset_rows

    # the hub ships SWE-bench as Parquet, its test lists as JSON text
    pq.write_table(pa.Table.from_pylist(list(_rows().values())), tmp_path / "test.parquet")
    assert dataset_rows(tmp_path / "test.parquet") == dataset_rows(FIX / "dataset.jsonl")
    assert len(dataset_rows(tmp_path / "test.parquet")) == len(_rows())
