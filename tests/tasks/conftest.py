"""Fixtures for the SWE-bench task tests: the tiny suite and hand-written public-schema rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "suites"
TINY = FIXTURES / "agentbench-tiny"


def public_rows() -> list[dict[str, Any]]:
    """Three rows in the exact public SWE-bench schema (test lists as JSON strings)."""
    rows = []
    for n, repo in enumerate(["astropy/astropy", "django/django", "sympy/sympy"], start=1):
        rows.append(
            {
                "repo": repo,
                "instance_id": f"{repo.replace('/', '__')}-{1000 + n}",
                "base_commit": f"{n:040x}",
                "patch": "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x\n+y\n",
                "test_patch": "diff --git a/tests/test_a.py b/tests/test_a.py\n",
                "problem_statement": f"Issue {n}",
                "hints_text": "",
                "created_at": "2023-05-01T12:00:00Z",
                "version": f"{n}.0",
                "FAIL_TO_PASS": json.dumps([f"tests/test_a.py::test_{n}"]),
                "PASS_TO_PASS": json.dumps(
                    ["tests/test_a.py::test_ok", "tests/test_a.py::test_ok2"]
                ),
                "environment_setup_commit": f"{n:040x}",
            }
        )
    return rows


@pytest.fixture
def rows() -> list[dict[str, Any]]:
    """Fresh copies of the public-schema rows."""
    return public_rows()


@pytest.fixture(scope="session")
def tiny_suite() -> Path:
    """Path of the two-instance fixture suite."""
    return TINY
