"""The wire protocol without an engine: quoting through real bash, capture, frame/marker parsing."""

from __future__ import annotations

import socket
import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st

from agentbench.sandbox.capture import Capture
from agentbench.sandbox.session import ShellSession
from agentbench.sandbox.shell_script import ansi_c_quote_bytes, command_line


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(min_size=0, max_size=200), min_size=1, max_size=8))
def test_ansi_c_quoting_round_trips_through_bash(chunks: list[bytes]) -> None:
    data = [c.replace(b"\0", b"") for c in chunks]
    words = " ".join(ansi_c_quote_bytes(c) for c in data)
    script = f"for w in {words}; do printf '%s\\x1f' \"$w\"; done"
    assert "\n" not in script
    out = subprocess.run(["bash", "--norc", "-c", script], capture_output=True, check=True).stdout
    assert out == b"".join(c + b"\x1f" for c in data)


def test_capture_keeps_head_and_tail() -> None:
    cap = Capture(10)
    for piece in (b"0123", b"456789abcdef", b"XYZ"):
        cap.add(piece)
    assert cap.truncated and cap.total == 19 and cap.dropped() == 9
    assert cap.raw() == b"01234" + b"defXYZ"[-5:]
    assert cap.text() == "01234\n[... 9 bytes of output truncated ...]\nefXYZ"
    small = Capture(10)
    small.add(b"\xff ok")
    assert not small.truncated and small.text() == "\ufffd ok"
    unlimited = Capture(None)
    unlimited.add(b"x" * 100_000)
    assert not unlimited.truncated and len(unlimited.raw()) == 100_000


def _frame(data: bytes, stream: int = 1) -> bytes:
    return bytes([stream, 0, 0, 0]) + len(data).to_bytes(4, "big") + data


def test_markers_split_across_reads_and_lookalikes() -> None:
    token = "ab" * 16
    here, there = socket.socketpair()
    try:
        shell = ShellSession(here, token)
        tok = token.encode()
        # A token-shaped lookalike, then real output, then the S marker cut into pieces.
        stream = (
            _frame(tok + b":X:oops\nhello ")
            + _frame(b"warning", stream=2)
            + _frame(b"world" + tok[:7])
            + _frame(tok[7:] + b":S:1:")
            + _frame(b"3\nleftover")
        )
        for i in range(0, len(stream), 5):  # the worst case: tiny reads
            there.sendall(stream[i : i + 5])
        cap = Capture(1000)
        assert shell._next_marker(cap, deadline=None) == ("S", [1, 3])
        assert cap.raw() == tok + b":X:oops\nhello world"
        nxt = Capture(1000)
        assert shell._next_marker(nxt, deadline=0.0) is None  # nothing more yet
        # Short leftovers wait (a token may be starting); they belong to the next command.
        assert nxt.raw() == b"" and bytes(shell._pending) == b"leftover"
    finally:
        here.close()
        there.close()


def test_idle_output_is_dropped_up_to_a_marker_still_arriving() -> None:
    token = "cd" * 16
    here, there = socket.socketpair()
    try:
        shell = ShellSession(here, token)
        tok = token.encode()
        # A job's output, a stale marker of an abandoned command, more output, then the
        # first bytes of a marker whose rest has not come yet.
        shell._demux(_frame(b"job says hi\n" + tok + b":K:3\nbye" + tok[:5]))
        shell._drop_idle_output()
        assert bytes(shell._pending) == tok[:5]
        shell._pending[:] = b"x" + tok[:1] + b"y"  # ends in no possible marker start
        shell._drop_idle_output()
        assert bytes(shell._pending) == b""
        shell._pending[:] = tok + b":S:"  # a whole token, marker line incomplete
        shell._drop_idle_output()
        assert bytes(shell._pending) == tok + b":S:"
    finally:
        here.close()
        there.close()


def test_command_line_is_one_line() -> None:
    line = command_line("echo 'a'\nprintf \"%s\" $HOME # done", 7)
    assert line.count(b"\n") == 1 and line.endswith(b"\n") and line.startswith(b"C__ab_seq=7; ")


def test_sandbox_imports_nothing_above_it() -> None:
    import ast
    from pathlib import Path

    import agentbench.sandbox as pkg

    allowed = (
        "agentbench.sandbox",
        "agentbench.records",
        "agentbench.errors",
        "agentbench.logging",
    )
    for path in Path(pkg.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name.startswith("agentbench"):
                    assert name.startswith(allowed), f"{path.name} imports {name}"
