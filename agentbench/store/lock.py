"""One writer per run folder: an flock on a file in the folder, which dies with its holder.

The kernel drops an flock when the process holding it exits, however it exits (kill -9
included), so a crashed run never leaves a lock anyone must clean up by hand; a clean exit
removes the file too, so a refused run leaves nothing in a folder it did not own. The file also
says who holds it (pid, host, command, since when) so a second `run` can tell the user.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from agentbench.errors import DataError, EnvironmentProblem

LOCK_NAME = ".agentbench.lock"
_HOLDER_BYTES = 4096  # the holder note is a few hundred bytes; never read more of the file


def _holder(fd: int) -> str:
    """Who holds the lock, as the holder wrote it (best effort: the note may be mid-write)."""
    try:
        raw = os.pread(fd, _HOLDER_BYTES, 0)
        note = json.loads(raw.decode("utf-8", errors="replace"))
        since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(note["since"])))
        return f"pid {int(note['pid'])} on {str(note['host'])[:64]!r} since {since}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


def _open(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise EnvironmentProblem(
            f"cannot create the run folder's lock file ({exc.strerror or exc})",
            path=str(path),
            fix="pass a writable run folder",
        ) from None


def _same_file(fd: int, path: Path) -> bool:
    """Whether `fd` is still the file at `path` (a releasing holder unlinks it first)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


def _acquire(path: Path, run_dir: Path, wait: bool, on_wait: Callable[[str], None] | None) -> int:
    """An fd holding the flock on the file now at `path`."""
    told = False
    while True:
        fd = _open(path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = _holder(fd)
            if not wait:
                os.close(fd)
                raise DataError(
                    f"another agentbench run is writing this folder ({who})",
                    path=str(run_dir),
                    fix="wait for it to finish, pass --wait to queue behind it, or use another run folder",
                ) from None
            if on_wait is not None and not told:
                on_wait(who)
                told = True
            fcntl.flock(fd, fcntl.LOCK_EX)  # the holder's exit (any exit) releases it
        if _same_file(fd, path):
            return fd
        os.close(fd)  # we locked a file its holder had already unlinked: take the new one


@contextmanager
def run_folder_lock(
    run_dir: Path, *, wait: bool = False, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the run folder's lock for the block; a held lock is a DataError unless `wait`."""
    path = run_dir / LOCK_NAME
    fd = _acquire(path, run_dir, wait, on_wait)
    try:
        note = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": time.time(),
            "argv": sys.argv[:8],
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(note).encode()[:_HOLDER_BYTES], 0)
        yield
    finally:
        # unlinked while still held, so a waiter that wakes on it sees it is stale (above);
        # a holder killed before this leaves the file, which is harmless: no one holds it
        with contextlib.suppress(OSError):
            if _same_file(fd, path):
                os.unlink(path)
        os.close(fd)  # closing the last descriptor releases the flock
