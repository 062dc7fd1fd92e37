"""How a child process ended, in words (for one-line errors about native children)."""

from __future__ import annotations

import signal

# what each signal usually means for a native child, and what to do about it
_HINTS = {
    signal.SIGILL: "the native build uses CPU instructions this machine lacks",
    signal.SIGKILL: "killed from outside, often by the kernel's out-of-memory killer",
    signal.SIGSEGV: "a crash in native code",
    signal.SIGBUS: "a crash in native code (bad memory access)",
    signal.SIGABRT: "native code aborted (see its last output)",
}


def describe_exit(returncode: int) -> str:
    """'exit code 2' or 'killed by SIGILL (Illegal instruction: <hint>)' for a Popen returncode."""
    if returncode >= 0:
        return f"exit code {returncode}"
    try:
        sig = signal.Signals(-returncode)
    except ValueError:
        return f"killed by signal {-returncode}"
    words = signal.strsignal(sig) or sig.name
    hint = _HINTS.get(sig)
    return f"killed by {sig.name} ({words}: {hint})" if hint else f"killed by {sig.name} ({words})"


def died_of(returncode: int, sig: signal.Signals) -> bool:
    """Whether a Popen returncode says the child was killed by `sig`."""
    return returncode == -int(sig)


def last_lines(text: str, n: int = 5, width: int = 200) -> str:
    """The last n non-empty lines of text, each cut to width, joined with ' | '."""
    lines = [ln.strip()[:width] for ln in text.splitlines() if ln.strip()]
    return " | ".join(lines[-n:])
