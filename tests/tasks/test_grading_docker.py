"""Grading in real containers: suite validation, fallbacks, timeouts, tampering, flaky tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agentbench.errors import InfraError
from agentbench.tasks.swebench import grading
from agentbench.tasks.swebench.task import SWEBenchTask

from .conftest import FIXTURES

pytestmark = pytest.mark.docker

FLAKY_TEST = "tests/test_backoff.py::test_jitter_below_half"
HANG = (
    "diff --git a/calc/__init__.py b/calc/__init__.py\n"
    "--- a/calc/__init__.py\n+++ b/calc/__init__.py\n"
    "@@ -10,7 +10,8 @@ def sub(a, b):\n \n \n def mul(a, b):\n"
    "-    return a + b  # BUG\n+    while True:\n+        pass\n \n \n def div(a, b):\n"
)
# edits the test instead of the code: the grader restores test files before the test patch
TAMPER = (
    "diff --git a/tests/test_calc.py b/tests/test_calc.py\n"
    "--- a/tests/test_calc.py\n+++ b/tests/test_calc.py\n"
    "@@ -7,3 +7,7 @@ def test_add():\n \n def test_sub():\n     assert sub(5, 3) == 2\n"
    "+\n+\n+def test_mul():\n+    assert True\n"
)
NOT_APPLYING = "diff --git a/nope.py b/nope.py\n--- a/nope.py\n+++ b/nope.py\n@@ -1 +1 @@\n-a\n+b\n"


@pytest.fixture(scope="module")
def tiny(docker_client: Any, base_image: str, tiny_suite: Path) -> SWEBenchTask:
    return SWEBenchTask.from_spec({"kind": "swebench", "dataset": str(tiny_suite)})


def _grade(task: SWEBenchTask, patch: str, **kw: Any):
    inst = task.instance("calc-1")
    return grading.grade(inst, patch, image=task.image(inst), suite=task.dataset.suite, **kw)


def test_validate_bundled_mini_suite(docker_client: Any, base_image: str) -> None:
    from agentbench.commands.tasks import app

    res = CliRunner().invoke(app, ["validate", "agentbench-mini"])
    assert res.exit_code == 0, res.output
    assert "FAIL" not in res.output and "instances valid in agentbench-mini" in res.output


def test_patch_that_does_not_apply_fails_every_test(tiny: SWEBenchTask) -> None:
    out = _grade(tiny, NOT_APPLYING)
    assert not out.patch_applied and not out.unchanged
    assert out.passed == [False, False, False] and not out.resolved
    assert "Patch Apply Failed" in out.log_excerpt


def test_hanging_tests_are_killed_at_the_timeout(tiny: SWEBenchTask) -> None:
    out = _grade(tiny, HANG, timeout_s=3)
    assert out.patch_applied and not out.resolved
    assert out.passed == [False, False, False]
    assert out.log_excerpt.startswith("[tests timed out]")


def test_edited_tests_are_restored_before_grading(tiny: SWEBenchTask) -> None:
    out = _grade(tiny, TAMPER)
    assert out.patch_applied
    assert dict(zip(out.tests, out.passed, strict=True))["tests/test_calc.py::test_mul"] is False


def test_missing_image_is_an_infra_failure(tiny: SWEBenchTask) -> None:
    inst = tiny.instance("calc-1")
    with pytest.raises(InfraError, match="grading"):
        grading.grade(
            inst, inst.patch, image="agentbench-no-such-image:0", suite=tiny.dataset.suite
        )


def test_regrade_flags_exactly_the_flaky_test(docker_client: Any, base_image: str) -> None:
    task = SWEBenchTask.from_spec(
        {"kind": "swebench", "dataset": str(FIXTURES / "agentbench-flaky")}
    )
    inst = task.instance("retrykit-1")
    kw = {"image": task.image(inst), "suite": task.dataset.suite}
    # a test that passes half the time looks stable over 5 gradings with p = 1/16: allow
    # three rounds (p = 1/4096 of a false alarm), but never a flag on any other test
    flagged: list[str] = []
    for _ in range(3):
        merged, runs = grading.regrade(inst, inst.patch, 5, **kw)
        assert len(runs) == 5 and set(merged.flaky) <= {FLAKY_TEST}
        stable = [t for t in merged.tests if t != FLAKY_TEST]
        for r in runs:
            assert all(p for t, p in zip(r.tests, r.passed, strict=True) if t in stable)
        flagged = merged.flaky
        if flagged:
            break
    assert flagged == [FLAKY_TEST]
