"""Where the sandbox keeps recipes, locks and build logs on the host."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from collections.abc import Iterator
from pathlib import Path

# Image recipes ship as package data beside this module (a wheel install has them too).
RECIPES = Path(__file__).resolve().parent / "recipes"


def cache_dir() -> Path:
    """$AGENTBENCH_CACHE or ~/.cache/agentbench (created)."""
    root = Path(os.environ.get("AGENTBENCH_CACHE") or Path.home() / ".cache" / "agentbench")
    root.mkdir(parents=True, exist_ok=True)
    return root


def build_log_dir(log_dir: str | os.PathLike[str] | None) -> Path:
    """The folder for build logs: `log_dir` if given, else the cache's build-logs (created)."""
    path = Path(log_dir) if log_dir is not None else cache_dir() / "build-logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def slug(text: str, max_len: int = 96) -> str:
    """A Docker-repository-safe rendering of `text` (lowercase, [a-z0-9._-])."""
    out = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")
    return out[:max_len] or "x"


@contextlib.contextmanager
def file_lock(name: str) -> Iterator[None]:
    """An exclusive lock shared by every process on this host (two builds of one tag wait)."""
    lock_dir = cache_dir() / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / f"{slug(name, 180)}.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
