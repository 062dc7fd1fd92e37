"""Static check of the bundled SWE-bench-style suites, with git and pytest, no Docker.

For every instance: rebuild the repository from its format-patch series exactly as the
image build does, check out base_commit, apply test_patch, run the touched test files
and check FAIL_TO_PASS fail and PASS_TO_PASS pass; then apply the gold patch and check
that all of them pass. Logs are read with swebench's own pytest parser, so test ids are
the ones the grader will see.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from swebench.harness.log_parsers.python import parse_log_pytest

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "agentbench" / "tasks" / "swebench" / "suites" / "agentbench-mini"
FLAKY = ROOT / "tests" / "fixtures" / "suites" / "agentbench-flaky"
SUITES = {"agentbench-mini": MINI, "agentbench-flaky": FLAKY}

# Tests that are flaky on purpose: their outcome is left unchecked.
KNOWN_FLAKY = {"tests/test_backoff.py::test_jitter_below_half"}

HUB_FIELDS = [
    "repo",
    "instance_id",
    "base_commit",
    "patch",
    "test_patch",
    "problem_statement",
    "hints_text",
    "created_at",
    "version",
    "FAIL_TO_PASS",
    "PASS_TO_PASS",
    "environment_setup_commit",
]
TEST_ID = re.compile(r"^tests/test_\w+\.py::test_\w+$")
GIT_ENV = {"GIT_COMMITTER_NAME": "agentbench", "GIT_COMMITTER_EMAIL": "agentbench@localhost"}


def _rows(suite_dir: Path) -> list[dict]:
    """The instance rows of one suite."""
    lines = (suite_dir / "instances.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _suite(suite_dir: Path) -> dict:
    """The parsed suite.yaml of one suite."""
    return yaml.safe_load((suite_dir / "suite.yaml").read_text(encoding="utf-8"))


def _all_instances() -> list[tuple[str, dict]]:
    """(suite name, row) for every instance of every bundled suite."""
    return [(name, row) for name, path in SUITES.items() for row in _rows(path)]


def _git(cwd: Path, *args: str, stdin: str | None = None) -> str:
    """Run git in ``cwd`` with the project's fixed committer identity; fail loudly."""
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    )
    assert result.returncode == 0, f"git {' '.join(args)} failed: {result.stderr}"
    return result.stdout


def _touched(patch: str) -> list[str]:
    """Paths a unified diff changes."""
    return sorted(set(re.findall(r"^diff --git a/(\S+) b/", patch, re.MULTILINE)))


def _run_tests_together(runs: list[tuple[Path, list[str]]], test_cmd: str) -> list[dict[str, str]]:
    """Run ``test_cmd`` on each (repo, files) at once with the host python; statuses by test id."""
    argv = test_cmd.split()
    assert argv[:3] == ["python3", "-m", "pytest"], test_cmd
    # The image has a bare pytest; the host's plugins would only slow each run down.
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    procs = [
        subprocess.Popen(
            [sys.executable, *argv[1:], *files],
            cwd=repo,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        for repo, files in runs
    ]
    logs = [proc.communicate(timeout=120)[0] for proc in procs]
    return [parse_log_pytest(log, None) for log in logs]  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    """A function returning the rebuilt repository for (suite, repo), built once."""
    cache: dict[tuple[str, str], Path] = {}

    def get(suite_name: str, repo: str) -> Path:
        if (suite_name, repo) not in cache:
            history = SUITES[suite_name] / _suite(SUITES[suite_name])["repos"][repo]["history"]
            path = tmp_path_factory.mktemp(f"{suite_name}-{repo}")
            patches = sorted(str(p) for p in history.glob("*.patch"))
            _git(path, "init", "-q", "-b", "main")
            _git(
                path,
                "-c",
                "user.name=agentbench",
                "-c",
                "user.email=agentbench@localhost",
                "am",
                "-q",
                "--committer-date-is-author-date",
                *patches,
            )
            cache[(suite_name, repo)] = path
        return cache[(suite_name, repo)]

    return get


@pytest.mark.parametrize("suite_name", sorted(SUITES))
def test_suite_layout(suite_name: str) -> None:
    """suite.yaml names every repo used, each with a patch series and the fixed commands."""
    suite_dir = SUITES[suite_name]
    suite = _suite(suite_dir)
    assert suite["name"] == suite_name
    assert suite["description"].strip()
    for repo, spec in suite["repos"].items():
        assert spec["history"] == f"repos/{repo}"
        assert len(list((suite_dir / spec["history"]).glob("[0-9][0-9][0-9][0-9]-*.patch"))) >= 2
        assert spec["test_cmd"] == "python3 -m pytest -rA -p no:cacheprovider"
        assert spec["log_parser"] == "pytest"
        assert spec["env_setup"] == []
    used = {row["repo"].split("/", 1)[1] for row in _rows(suite_dir)}
    assert used == set(suite["repos"])


def test_mini_suite_spread() -> None:
    """agentbench-mini has at least 8 instances over at least 3 repositories, ids unique."""
    rows = _rows(MINI)
    assert len(rows) >= 8
    assert len({row["repo"] for row in rows}) >= 3
    assert len({row["instance_id"] for row in rows}) == len(rows)
    # Several base commits per repository, like SWE-bench.
    for repo in {row["repo"] for row in rows}:
        bases = {row["base_commit"] for row in rows if row["repo"] == repo}
        assert len(bases) >= 2, repo


@pytest.mark.parametrize(
    ("suite_name", "row"), _all_instances(), ids=[row["instance_id"] for _, row in _all_instances()]
)
def test_instance(suite_name: str, row: dict, rebuilt, tmp_path: Path) -> None:
    """The instance's tests fail at base_commit + test_patch and pass with the gold patch."""
    assert list(row) == HUB_FIELDS
    owner, repo = row["repo"].split("/")
    assert owner == suite_name
    assert re.fullmatch(rf"{re.escape(repo)}-\d+", row["instance_id"])
    assert row["environment_setup_commit"] == row["base_commit"]
    assert row["version"] == "1.0"
    assert row["problem_statement"].strip()
    f2p = json.loads(row["FAIL_TO_PASS"])
    p2p = json.loads(row["PASS_TO_PASS"])
    assert f2p, "an instance needs at least one FAIL_TO_PASS test"
    assert not set(f2p) & set(p2p)
    assert all(TEST_ID.match(test) for test in f2p + p2p)

    test_files = _touched(row["test_patch"])
    gold_files = _touched(row["patch"])
    assert test_files and all(path.startswith("tests/") for path in test_files)
    assert gold_files and not any(path.startswith("tests/") for path in gold_files)

    source = rebuilt(suite_name, repo)
    # Two checkouts of base_commit, run side by side: test_patch alone, and with the gold patch.
    before_dir, after_dir = tmp_path / "before", tmp_path / "after"
    for work in (before_dir, after_dir):
        _git(source, "worktree", "add", "-q", "--detach", str(work), row["base_commit"])
        _git(work, "apply", "-", stdin=row["test_patch"])
    try:
        _git(after_dir, "apply", "-", stdin=row["patch"])
        test_cmd = _suite(SUITES[suite_name])["repos"][repo]["test_cmd"]
        before, after = _run_tests_together(
            [(before_dir, test_files), (after_dir, test_files)], test_cmd
        )
    finally:
        for work in (before_dir, after_dir):
            _git(source, "worktree", "remove", "--force", str(work))

    checked_p2p = [test for test in p2p if test not in KNOWN_FLAKY]
    assert all(before.get(test) in (None, "FAILED", "ERROR") for test in f2p), before
    assert all(before.get(test) == "PASSED" for test in checked_p2p), before
    assert all(after.get(test) == "PASSED" for test in f2p + checked_p2p), after
    # PASS_TO_PASS lists every other test of the touched files.
    assert set(after) == set(f2p) | set(p2p)


def _author(*args: str) -> str:
    """Run scripts/author_suite.py; fail with its stderr."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "author_suite.py"), *args],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_author_helper_round_trip(tmp_path: Path) -> None:
    """checkout + export reproduce the series byte for byte; `instance` rebuilds a row exactly."""
    suite = tmp_path / "agentbench-mini"
    shutil.copytree(MINI, suite)
    for repo in _suite(MINI)["repos"]:
        _author("checkout", str(suite), repo, str(tmp_path / repo))
        _author("export", str(suite), repo, str(tmp_path / repo))
        for patch in (MINI / "repos" / repo).glob("*.patch"):
            assert (suite / "repos" / repo / patch.name).read_bytes() == patch.read_bytes()
        assert len(list((suite / "repos" / repo).iterdir())) == len(
            list((MINI / "repos" / repo).iterdir())
        )

    row = next(r for r in _rows(MINI) if r["instance_id"] == "confparse-1")
    src = tmp_path / "confparse"
    _git(src, "checkout", "-q", "-b", "fix", row["base_commit"])
    for message, patch in [("tests", row["test_patch"]), ("fix", row["patch"])]:
        _git(src, "apply", "--index", "-", stdin=patch)
        _git(
            src, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-q", "-m", message
        )
    issue = tmp_path / "issue.md"
    issue.write_text(row["problem_statement"], encoding="utf-8")
    (suite / "instances.jsonl").write_text("", encoding="utf-8")
    _author(
        "instance", str(suite), "confparse", str(src), "1",
        "--base", "fix~2", "--tests", "fix~1", "--fix", "fix",
        "--issue", str(issue), "--created-at", row["created_at"],
    )  # fmt: skip
    assert _rows(suite) == [row]


TINY_TIER = [row for name, row in _all_instances() if row["instance_id"].startswith("tinyops-")]


@pytest.mark.parametrize("row", TINY_TIER, ids=[row["instance_id"] for row in TINY_TIER])
def test_small_tier_issue_command_makes_the_gold_change(row: dict, rebuilt, tmp_path: Path) -> None:
    """The demo's tier: the one `sed` line each issue quotes turns base_commit into the gold patch."""
    (command,) = [ln for ln in row["problem_statement"].splitlines() if ln.startswith("sed -i ")]
    source = rebuilt("agentbench-mini", row["repo"].split("/")[1])
    work = tmp_path / "work"
    _git(source, "worktree", "add", "-q", "--detach", str(work), row["base_commit"])
    try:
        subprocess.run(["bash", "-c", command], cwd=work, check=True)
        made = _git(work, "diff")
    finally:
        _git(source, "worktree", "remove", "--force", str(work))

    def changed(diff: str) -> list[str]:
        return [ln for ln in diff.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---")]

    assert changed(made) == changed(row["patch"]), made
