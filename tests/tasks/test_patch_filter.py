"""The agent's patch leaves out test files; the eval script runs only the test patch's files."""

from __future__ import annotations

import pytest

from agentbench.tasks.swebench.evalscript import patch_files, suite_eval_script
from agentbench.tasks.swebench.patch import filter_patch, looks_like_test, split_patch

SRC = "diff --git a/calc/__init__.py b/calc/__init__.py\n--- a/calc/__init__.py\n+++ b/calc/__init__.py\n@@ -1 +1 @@\n-a\n+b\n"
TEST = "diff --git a/tests/test_calc.py b/tests/test_calc.py\n--- a/tests/test_calc.py\n+++ b/tests/test_calc.py\n@@ -1 +1 @@\n-a\n+b\n"
NEW = "diff --git a/repro.py b/repro.py\nnew file mode 100644\n--- /dev/null\n+++ b/repro.py\n@@ -0,0 +1 @@\n+print(1)\n"
OTHER = "diff --git a/pkg/util.py b/pkg/util.py\n--- a/pkg/util.py\n+++ b/pkg/util.py\n@@ -1 +1 @@\n-a\n+b\n"


@pytest.mark.parametrize(
    ("path", "is_test"),
    [
        ("tests/helpers.py", True),
        ("pkg/test/data.txt", True),
        ("test_x.py", True),
        ("pkg/x_test.py", True),
        ("conftest.py", True),
        ("pkg/testing/fixtures.py", False),  # sphinx/testing is library code
        ("pkg/contest.py", False),
        ("calc/__init__.py", False),
    ],
)
def test_looks_like_test(path: str, is_test: bool) -> None:
    assert looks_like_test(path) is is_test


def test_filter_drops_test_patch_paths_and_test_files() -> None:
    diff = SRC + TEST + NEW + OTHER
    assert [p for p, _ in split_patch(diff)] == [
        "calc/__init__.py",
        "tests/test_calc.py",
        "repro.py",
        "pkg/util.py",
    ]
    assert filter_patch(diff, []) == SRC + NEW + OTHER
    assert filter_patch(diff, ["pkg/util.py"]) == SRC + NEW
    assert filter_patch(TEST, []) == ""
    pyc = "diff --git a/calc/__pycache__/x.pyc b/calc/__pycache__/x.pyc\nGIT binary patch\n"
    assert filter_patch(SRC + pyc, []) == SRC
    assert filter_patch("", []) == ""


def test_eval_script_runs_only_test_patch_files() -> None:
    assert patch_files(TEST + SRC + TEST) == ["tests/test_calc.py", "calc/__init__.py"]
    script = suite_eval_script(base_commit="abc", test_patch=TEST, test_cmd="python3 -m pytest -rA")
    assert "python3 -m pytest -rA tests/test_calc.py" in script
    assert ">>>>> Start Test Output" in script and ">>>>> End Test Output" in script
    assert TEST.rstrip("\n") in script


def test_empty_patch_is_unchanged_without_running(tiny_suite: object) -> None:
    from agentbench.tasks.swebench import grading
    from agentbench.tasks.swebench.dataset import load_dataset

    ds = load_dataset(str(tiny_suite))
    inst = ds.instances[0]
    # the image does not exist: grading must not even try to start a container
    out = grading.grade(inst, "  \n", image="agentbench-no-such-image:0", suite=ds.suite)
    assert out.unchanged and not out.resolved and out.grading_s == 0.0
    assert out.passed == [False, True, True]
    assert out.tests == inst.tests
