"""outcome_from_log on the harness's own test_output.txt (no '>>>>> Applied Patch' line in it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentbench.tasks.swebench.grading import UngradableLog, make_test_spec, outcome_from_log
from agentbench.tasks.swebench.schema import SWEInstance

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "swebench_harness"
RUNS = FIX / "logs" / "run_evaluation"
MODEL = "openai__gpt-x"


def _inst(iid: str) -> SWEInstance:
    for line in (FIX / "dataset.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["instance_id"] == iid:
            return SWEInstance.model_validate({**row, "eval_script": "#!/bin/bash\n"})
    raise KeyError(iid)


@pytest.mark.parametrize(
    ("run", "iid"),
    [
        ("run_a", "django__django-11099"),
        ("run_b", "django__django-11099"),
        ("run_a", "pytest-dev__pytest-5227"),
        ("run_a", "sympy__sympy-20590"),
    ],
)
def test_harness_test_output_graded_like_its_report(run: str, iid: str) -> None:
    inst = _inst(iid)
    d = RUNS / run / MODEL / iid
    text = (d / "test_output.txt").read_text()
    assert ">>>>> Applied Patch" not in text  # the harness writes that line to run_instance.log
    out = outcome_from_log(inst, make_test_spec(inst, "img", None), text, timed_out=False)
    st = json.loads((d / "report.json").read_text())[iid]["tests_status"]
    ok = set(st["FAIL_TO_PASS"]["success"]) | set(st["PASS_TO_PASS"]["success"])
    assert out.passed == [t in ok for t in inst.tests]
    assert any(out.passed)  # never the silent all-fail vector
    assert out.patch_applied


def test_log_without_any_marker_is_ungradable_not_all_failed() -> None:
    inst = _inst("django__django-11099")
    text = "test_ascii_validator (auth_tests.test_validators.UsernameValidatorsTests) ... ok\n"
    with pytest.raises(UngradableLog, match="not a SWE-bench grading log") as e:
        outcome_from_log(
            inst, make_test_spec(inst, "img", None), text, timed_out=False, path="t.txt"
        )
    assert "\n" not in str(e.value) and str(e.value).startswith("t.txt")


def test_markers_but_nothing_the_parser_knows_is_ungradable() -> None:
    inst = _inst("django__django-11099")
    text = ">>>>> Start Test Output\nSegmentation fault\n>>>>> End Test Output\n"
    with pytest.raises(UngradableLog, match="parse_log_django found no test results"):
        outcome_from_log(inst, make_test_spec(inst, "img", None), text, timed_out=False)


def test_harness_timeout_line_grades_as_the_harness_does() -> None:
    inst = _inst("django__django-11099")
    text = ">>>>> Start Test Output\nrunning...\n\nTimeout error: 1800 seconds exceeded."
    out = outcome_from_log(inst, make_test_spec(inst, "img", None), text, timed_out=False)
    assert not any(out.passed) and out.grading_notes and "Timeout error" in out.grading_notes[0]


def test_own_log_with_apply_marker_unchanged() -> None:
    inst = _inst("django__django-11099")
    body = (RUNS / "run_a" / MODEL / inst.instance_id / "test_output.txt").read_text()
    out = outcome_from_log(
        inst, make_test_spec(inst, "img", None), ">>>>> Applied Patch\n" + body, timed_out=False
    )
    assert all(out.passed) and out.resolved and out.grading_notes == []


def test_own_run_cut_by_its_time_limit_before_any_marker_grades_as_nothing_ran() -> None:
    inst = _inst("django__django-11099")
    out = outcome_from_log(
        inst, make_test_spec(inst, "img", None), "+ cd /testbed\n", timed_out=True
    )
    assert not out.patch_applied and not any(out.passed)
