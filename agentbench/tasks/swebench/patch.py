"""The agent's patch: the working tree's diff minus the test files it may have written."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from agentbench.tasks.swebench.evalscript import patch_files

_FILE_START = re.compile(r"^diff --git ", re.M)
_TEST_DIRS = frozenset({"test", "tests"})


def looks_like_test(path: str) -> bool:
    """True for test files by the usual conventions (test_*.py, *_test.py, conftest.py, tests/)."""
    p = PurePosixPath(path)
    name = p.name
    if name == "conftest.py" or (name.startswith("test_") and name.endswith(".py")):
        return True
    if name.endswith(("_test.py", "_tests.py")):
        return True
    return any(part in _TEST_DIRS for part in p.parts[:-1])


def split_patch(diff: str) -> list[tuple[str, str]]:
    """Split a git diff into (path, section) per file, path being the new-side name."""
    starts = [m.start() for m in _FILE_START.finditer(diff)]
    out: list[tuple[str, str]] = []
    for i, s in enumerate(starts):
        section = diff[s : starts[i + 1] if i + 1 < len(starts) else len(diff)]
        files = patch_files(section)
        out.append((files[0] if files else "", section))
    return out


def is_junk(path: str) -> bool:
    """Bytecode the agent's commands may leave behind (repos without a .gitignore)."""
    p = PurePosixPath(path)
    return "__pycache__" in p.parts or p.suffix in (".pyc", ".pyo")


def filter_patch(diff: str, exclude: Iterable[str]) -> str:
    """Drop file sections for paths in `exclude`, test-looking paths and bytecode."""
    skip = set(exclude)
    kept = [
        sec
        for path, sec in split_patch(diff)
        if path not in skip and not looks_like_test(path) and not is_junk(path)
    ]
    text = "".join(kept)
    return text if not text or text.endswith("\n") else text + "\n"
