#!/usr/bin/env python3
"""Author a bundled SWE-bench-style suite (agentbench-mini format) with real git.

Subcommands:
  checkout SUITE REPO DEST   rebuild REPO's history from its patch series into DEST
  export SUITE REPO SRC      write SRC's `main` history back as the suite's patch series
  instance SUITE REPO SRC ID --base REV --tests REV --fix REV --issue FILE --created-at TS
                             add or replace instance REPO-ID: test_patch = base..tests
                             (tests/ only), patch = tests..fix (everything else); the test
                             lists are measured by running the touched test files before
                             and after the gold patch in a fresh rebuild of the series.

Typical loop: checkout, commit new history on `main` (fixed GIT_AUTHOR_DATE), export;
then branch from a base commit, commit the new tests, commit the fix, and run
`instance`. Stdlib only; pytest must be importable by this interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

GIT_ENV = {"GIT_COMMITTER_NAME": "agentbench", "GIT_COMMITTER_EMAIL": "agentbench@localhost"}
TEST_CMD = ["-m", "pytest", "-rA", "-p", "no:cacheprovider"]
STATUS_LINE = re.compile(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (\S+)")


def git(cwd: Path, *args: str, stdin: str | None = None) -> str:
    """Run git with the suite's fixed committer; exit with its message on failure."""
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    )
    if result.returncode:
        sys.exit(f"git {' '.join(args)} failed in {cwd}: {result.stderr.strip()}")
    return result.stdout


def history_dir(suite: Path, repo: str) -> Path:
    """Folder holding REPO's patch series inside the suite."""
    return suite / "repos" / repo


def rebuild(suite: Path, repo: str, dest: Path) -> list[str]:
    """Replay the series into an empty DEST exactly as the image build does; commit hashes."""
    dest.mkdir(parents=True, exist_ok=True)
    patches = sorted(str(p) for p in history_dir(suite, repo).glob("*.patch"))
    if not patches:
        sys.exit(f"no *.patch files in {history_dir(suite, repo)}")
    git(dest, "init", "-q", "-b", "main")
    git(
        dest,
        "-c",
        "user.name=agentbench",
        "-c",
        "user.email=agentbench@localhost",
        "am",
        "-q",
        "--committer-date-is-author-date",
        *patches,
    )
    return git(dest, "log", "--reverse", "--format=%H").split()


def export(suite: Path, repo: str, src: Path) -> list[str]:
    """Replace the series with SRC's main history; return the rebuilt commit hashes."""
    out = history_dir(suite, repo)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    # --zero-commit and --no-signature keep the files identical across git versions.
    git(
        src,
        "format-patch",
        "-q",
        "--root",
        "--no-signature",
        "--zero-commit",
        "-o",
        str(out),
        "main",
    )
    with tempfile.TemporaryDirectory() as tmp:
        return rebuild(suite, repo, Path(tmp))


def run_tests(repo_dir: Path, files: list[str]) -> dict[str, str]:
    """Statuses by test id from one `pytest -rA` run of FILES."""
    result = subprocess.run(
        [sys.executable, *TEST_CMD, *files],
        cwd=repo_dir,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    statuses = {}
    for line in result.stdout.splitlines():
        match = STATUS_LINE.match(line)
        if match:
            statuses[match.group(2)] = match.group(1)
    return statuses


def touched(patch: str) -> list[str]:
    """Paths a unified diff changes."""
    return sorted(set(re.findall(r"^diff --git a/(\S+) b/", patch, re.MULTILINE)))


def measure(
    suite: Path, repo: str, base: str, test_patch: str, patch: str, flaky: set[str]
) -> tuple[list[str], list[str]]:
    """FAIL_TO_PASS and PASS_TO_PASS from a fresh rebuild; exits if the gold patch fails."""
    files = touched(test_patch)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rebuild(suite, repo, work)
        git(work, "checkout", "-q", base)
        git(work, "apply", "-", stdin=test_patch)
        before = run_tests(work, files)
        git(work, "apply", "-", stdin=patch)
        after = run_tests(work, files)
    failing = sorted(t for t, s in after.items() if s != "PASSED" and t not in flaky)
    if failing:
        sys.exit(f"with the gold patch these still fail: {failing}")
    f2p = sorted(t for t in after if before.get(t) != "PASSED" and t not in flaky)
    p2p = sorted(t for t in after if t not in f2p)
    if not f2p:
        sys.exit("no test fails before the gold patch: the test patch does not catch the bug")
    return f2p, p2p


def add_instance(args: argparse.Namespace) -> None:
    """Build the row for one instance, verify it, and write it into instances.jsonl."""
    src = Path(args.src)
    base = git(src, "rev-parse", args.base).strip()
    test_patch = git(src, "diff", base, args.tests, "--", "tests")
    patch = git(src, "diff", args.tests, args.fix, "--", ".", ":(exclude)tests")
    if not test_patch or not patch:
        sys.exit("empty test patch or gold patch: check --base/--tests/--fix")
    suite = Path(args.suite)
    with tempfile.TemporaryDirectory() as tmp:
        if base not in rebuild(suite, args.repo, Path(tmp)):
            sys.exit(f"{base} is not in the exported series: run `export` first")
    f2p, p2p = measure(suite, args.repo, base, test_patch, patch, set(args.flaky))
    row = {
        "repo": f"{suite.name}/{args.repo}",
        "instance_id": f"{args.repo}-{args.id}",
        "base_commit": base,
        "patch": patch,
        "test_patch": test_patch,
        "problem_statement": Path(args.issue).read_text(encoding="utf-8"),
        "hints_text": Path(args.hints).read_text(encoding="utf-8") if args.hints else "",
        "created_at": args.created_at,
        "version": "1.0",
        "FAIL_TO_PASS": json.dumps(f2p),
        "PASS_TO_PASS": json.dumps(p2p),
        "environment_setup_commit": base,
    }
    path = suite / "instances.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    rows = [json.loads(line) for line in lines if line.strip()]
    rows = [r for r in rows if r["instance_id"] != row["instance_id"]] + [row]
    rows.sort(key=lambda r: (r["repo"], int(r["instance_id"].rsplit("-", 1)[1])))
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    print(
        f"{row['instance_id']}: base {base[:10]}, {len(f2p)} FAIL_TO_PASS, {len(p2p)} PASS_TO_PASS"
    )


def main() -> None:
    """Parse the command line and run one subcommand."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("checkout", help="rebuild a repo from its series")
    p.add_argument("suite")
    p.add_argument("repo")
    p.add_argument("dest")
    p = sub.add_parser("export", help="write a repo's main history as the series")
    p.add_argument("suite")
    p.add_argument("repo")
    p.add_argument("src")
    p = sub.add_parser("instance", help="add or replace one instance")
    p.add_argument("suite")
    p.add_argument("repo")
    p.add_argument("src", help="authoring clone holding the base, tests and fix commits")
    p.add_argument("id", help="instance number; the id is <repo>-<id>")
    p.add_argument("--base", required=True, help="base commit (must be in the series)")
    p.add_argument("--tests", required=True, help="commit adding the tests on top of base")
    p.add_argument("--fix", required=True, help="commit with the gold fix on top of --tests")
    p.add_argument("--issue", required=True, help="file with the problem statement")
    p.add_argument("--hints", help="file with hints_text")
    p.add_argument("--created-at", required=True, help="ISO time, e.g. 2024-06-17T09:22:00Z")
    p.add_argument("--flaky", action="append", default=[], help="test id that is flaky on purpose")
    args = parser.parse_args()
    suite = Path(args.suite)
    if args.command == "checkout":
        hashes = rebuild(suite, args.repo, Path(args.dest))
        print(f"{args.dest}: {len(hashes)} commits, main at {hashes[-1][:10]}")
    elif args.command == "export":
        hashes = export(suite, args.repo, Path(args.src))
        print("\n".join(hashes))
    else:
        add_instance(args)


if __name__ == "__main__":
    main()
