"""Close every live sandbox at exit and on SIGTERM/SIGINT, then let the signal do its job."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import threading
from typing import Protocol


class _Closable(Protocol):
    def close(self) -> None: ...


_lock = threading.Lock()
_live: dict[int, tuple[int, _Closable]] = {}  # id -> (owner pid, sandbox)
_atexit_pid: int | None = None
_signals_pid: int | None = None
_previous: dict[int, object] = {}


def register(sandbox: _Closable) -> None:
    """Track `sandbox` until it is closed; installs the exit and signal hooks once."""
    with _lock:
        _live[id(sandbox)] = (os.getpid(), sandbox)
    _install()


def unregister(sandbox: _Closable) -> None:
    """Stop tracking `sandbox`."""
    with _lock:
        _live.pop(id(sandbox), None)


def close_all() -> None:
    """Close every sandbox this process made (errors ignored: the process is ending)."""
    pid = os.getpid()
    with _lock:
        # A forked child inherits the table but must not remove its parent's containers.
        items = [sb for owner, sb in _live.values() if owner == pid]
        _live.clear()
    for sandbox in items:
        with contextlib.suppress(Exception):
            sandbox.close()


def _handler(signum: int, frame: object) -> None:
    close_all()
    previous = _previous.get(signum, signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_DFL:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


def _install() -> None:
    global _atexit_pid, _signals_pid
    pid = os.getpid()
    if _signals_pid == pid:
        return
    with _lock:
        if _atexit_pid != pid:
            atexit.register(close_all)
            _atexit_pid = pid
        # Signal handlers can only be set from the main thread; until a sandbox is made
        # there, atexit, the reaper and the stdin-EOF shutdown still clean up.
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGTERM, signal.SIGINT):
            current = signal.getsignal(sig)
            if current in (signal.SIG_IGN, _handler):
                continue
            _previous[sig] = current
            signal.signal(sig, _handler)
        _signals_pid = pid
