"""Host side of the persistent shell: framed stream in, commands out, sentinels parsed."""

from __future__ import annotations

import re
import select
import socket
import time

from agentbench.records import ExecResult
from agentbench.sandbox.capture import Capture
from agentbench.sandbox.shell_script import command_line

# After a timeout the supervisor interrupts the worker and kills the command's processes;
# if the worker does not answer within this many seconds it is replaced.
KILL_GRACE_S = 3.0
RESTART_TIMEOUT_S = 30.0
PING_S = 1.0  # a long quiet command makes the host ask whether the worker died unseen
_RECV = 1 << 18
_MARKER = re.compile(rb":([SKDR])((?::\d{1,10}){1,2})")
_MARKER_MAX = 40
# Interactive bash without a terminal says this after a job dies of a signal: noise.
_TTY_NOISE = re.compile(
    r"^bash: \[\d+: \d+ \(\d+\)\] tcsetattr: Inappropriate ioctl for device\n", re.M
)


class ShellGone(Exception):
    """The supervisor's stream ended: the container or its main process is gone."""


class ShellSession:
    """Runs commands one at a time through the supervisor attached to `sock`."""

    def __init__(self, sock: socket.socket, token: str) -> None:
        self._sock = sock
        self._tok = token.encode()
        self._rx = bytearray()  # bytes from the socket not yet split into frames
        self._pending = bytearray()  # worker output not yet assigned to a command
        self._seq = 0
        self._dirty = False  # a run was interrupted: its command may still be running
        self.worker_pid = 0
        self._wrapper_pid = 0  # parent of the current worker; names it in D markers
        self._stderr_tail = b""  # last words of the supervisor (e.g. docker-init's exec error)

    # ------------------------------------------------------------ wire

    def _send(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError as exc:
            raise ShellGone(f"cannot write to the sandbox shell: {exc}") from None

    def _demux(self, data: bytes) -> None:
        # Docker's multiplexed stream: 8-byte header (stream id, 3 zero bytes, big-endian size).
        rx = self._rx
        rx += data
        pos, end = 0, len(rx)
        while end - pos >= 8:
            size = int.from_bytes(rx[pos + 4 : pos + 8], "big")
            if end - pos - 8 < size:
                break
            if rx[pos] == 2:  # the supervisor's own stderr: diagnostics, not command output
                self._stderr_tail = (self._stderr_tail + bytes(rx[pos + 8 : pos + 8 + size]))[-300:]
            else:
                self._pending += rx[pos + 8 : pos + 8 + size]
            pos += 8 + size
        del rx[:pos]

    def _scan(self, cap: Capture) -> tuple[str, list[int]] | None:
        """Move output before the next marker into `cap`; return that marker if complete."""
        buf, tok = self._pending, self._tok
        while True:
            i = buf.find(tok)
            if i < 0:
                keep = len(tok) - 1  # a token may straddle two reads
                if len(buf) > keep:
                    cap.add(buf[: len(buf) - keep])
                    del buf[: len(buf) - keep]
                return None
            if i:
                cap.add(buf[:i])
                del buf[:i]
            nl = buf.find(b"\n", len(tok), len(tok) + _MARKER_MAX)
            if nl < 0 and len(buf) < len(tok) + _MARKER_MAX:
                return None  # the rest of the marker line is still on its way
            match = _MARKER.fullmatch(bytes(buf[len(tok) : nl])) if nl >= 0 else None
            if match is None:  # the token without a marker shape: plain output
                cap.add(buf[:1])
                del buf[:1]
                continue
            del buf[: nl + 1]
            return match.group(1).decode(), [int(x) for x in match.group(2)[1:].split(b":")]

    def _next_marker(self, cap: Capture, deadline: float | None) -> tuple[str, list[int]] | None:
        """The next marker from the worker, or None when `deadline` passes first."""
        while True:
            marker = self._scan(cap)
            if marker is not None:
                return marker
            if deadline is None:
                self._sock.settimeout(None)
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._sock.settimeout(remaining)
            try:
                data = self._sock.recv(_RECV)
            except TimeoutError:
                return None
            except OSError as exc:
                raise ShellGone(f"sandbox stream failed: {exc}") from None
            if not data:
                said = self._stderr_tail.decode("utf-8", "replace").strip().replace("\n", " ")
                raise ShellGone(
                    "sandbox stream closed (its main process exited)"
                    + (f": {said}" if said else "")
                )
            self._demux(data)

    # ------------------------------------------------------------ protocol

    def start(self, program: bytes, timeout: float) -> None:
        """Send the supervisor program and wait for the first worker to be ready."""
        self._send(program)
        self._await_ready(Capture(4096), time.monotonic() + timeout)

    def _await_ready(self, cap: Capture, deadline: float) -> None:
        while True:
            marker = self._next_marker(cap, deadline)
            if marker is None:
                raise ShellGone(
                    f"sandbox shell did not become ready; it said: {cap.text()[:300]!r}"
                )
            kind, fields = marker
            if kind == "R":
                self.worker_pid, self._wrapper_pid = fields[0], fields[1]
                return

    def restart(self, cap: Capture | None = None) -> None:
        """Replace the worker shell (state is lost; files stay)."""
        self._send(f"R{self.worker_pid}\n".encode())
        self._await_ready(cap or Capture(4096), time.monotonic() + RESTART_TIMEOUT_S)

    def _recover(self) -> None:
        """Kill what an interrupted run left running and drop the rest of its output."""
        seq = self._seq
        sink = Capture(0)
        self._send(f"K{self.worker_pid} {seq}\n".encode())
        deadline = time.monotonic() + KILL_GRACE_S
        while True:
            marker = self._next_marker(sink, deadline)
            if marker is None:
                self.restart(sink)
                break
            kind, fields = marker
            if kind in ("S", "K") and fields[0] == seq:
                break
            if kind == "D" and fields[1] == self._wrapper_pid:
                self.restart(sink)
                break
        self._dirty = False

    def _died_while_idle(self) -> bool:
        """Whether the current worker's death notice (D) has already arrived, without waiting."""
        while True:
            try:
                ready, _, _ = select.select([self._sock], [], [], 0)
            except (OSError, ValueError):
                return False  # not a selectable socket: the command's own wait will tell
            if not ready:
                break
            try:
                data = self._sock.recv(_RECV)
            except (BlockingIOError, TimeoutError):
                break
            except OSError as exc:
                raise ShellGone(f"sandbox stream failed: {exc}") from None
            if not data:
                return False  # stream closed: the command's own wait raises ShellGone
            self._demux(data)
        return b":D:" in self._pending and any(
            int(m.group(2)) == self._wrapper_pid
            for m in re.finditer(
                re.escape(self._tok) + rb":D:(\d{1,10}):(\d{1,10})\n", self._pending
            )
        )

    def _drop_idle_output(self) -> None:
        """Drop what the worker printed since the last command (its background jobs)."""
        sink = Capture(0)
        while self._scan(sink) is not None:
            pass  # markers of abandoned commands: nothing waits for them any more
        # What _scan left is either a marker still on its way or up to a token's length of
        # output held back in case it was one: keep only a possible start of a marker.
        buf, tok = self._pending, self._tok
        if buf.startswith(tok):
            return
        keep = next(
            (n for n in range(min(len(buf), len(tok) - 1), 0, -1) if tok.startswith(buf[-n:])),
            0,
        )
        del buf[: len(buf) - keep]

    def _run(
        self, command: str, timeout: float | None, cap: Capture, *, harness: bool = False
    ) -> tuple[int | None, bool, bool, bool]:
        """Run `command`; (exit code or None, timed out, shell restarted, worker died in it).

        A `harness` command (diff, file op) does not get what the agent's background jobs
        printed while the shell was idle: in a patch or a file's contents it is corruption.
        """
        if self._dirty:
            self._recover()
        # A worker killed between commands (the host's OOM killer takes oom_score_adj 1000
        # first) has already said D: replace it now, so this command runs and its exit
        # code is its own rather than the dead worker's 137.
        restarted_before = self._died_while_idle()
        if restarted_before:
            self.restart(Capture(0) if harness else cap)
        if harness:
            self._drop_idle_output()
        self._dirty = True
        self._seq += 1
        seq = self._seq
        self._send(command_line(command, seq))
        deadline = time.monotonic() + timeout if timeout is not None else None
        timed_out = False
        next_ping = time.monotonic() + PING_S
        while True:
            wait_until = next_ping if deadline is None else min(deadline, next_ping)
            marker = self._next_marker(cap, wait_until)
            if marker is None:
                now = time.monotonic()
                if deadline is None or now < deadline:
                    # Quiet for a while: ask whether the worker still exists (P -> maybe D).
                    self._send(b"P\n")
                    next_ping = now + PING_S
                    continue
                if not timed_out:
                    timed_out = True
                    self._send(f"K{self.worker_pid} {seq}\n".encode())
                    deadline = time.monotonic() + KILL_GRACE_S
                    continue
                self.restart(cap)  # the worker ignored the interrupt (e.g. `trap '' INT`)
                self._dirty = False
                return None, True, True, False
            kind, fields = marker
            if kind in ("S", "K") and fields[0] == seq:
                self._dirty = False
                return (None if timed_out else fields[1]), timed_out, restarted_before, False
            if kind == "D" and fields[1] == self._wrapper_pid:
                # the current worker shell exited (`exit 3`, killed by OOM, ...)
                self.restart(cap)
                self._dirty = False
                return (None if timed_out else fields[0]), timed_out, True, True
            # anything else is a marker of an earlier, abandoned command

    def run(self, command: str, timeout: float | None, limit: int | None) -> ExecResult:
        """Run `command` in the worker; kill it at `timeout`; keep at most `limit` output bytes."""
        t0 = time.monotonic()
        cap = Capture(limit)
        exit_code, timed_out, restarted, _ = self._run(command, timeout, cap)
        output = cap.text()
        if "tcsetattr" in output:
            output = _TTY_NOISE.sub("", output)
        return ExecResult(
            exit_code=exit_code,
            output=output,
            truncated=cap.truncated,
            timed_out=timed_out,
            duration_s=time.monotonic() - t0,
            shell_restarted=restarted,
        )

    def run_bytes(self, command: str, timeout: float | None) -> tuple[int | None, bytes, bool]:
        """Run harness `command`: exit code, whole output (no cap), whether the worker died in it."""
        cap = Capture(None)
        # `jobs` first: the shell reports jobs that ended while it was idle ("[1]+ Done")
        # when a later foreground process ends, i.e. into this command's output; listed
        # here, to nowhere, they are not reported again.
        line = f"builtin jobs >/dev/null 2>&1; {command}"
        exit_code, _, _, died = self._run(line, timeout, cap, harness=True)
        return exit_code, cap.raw(), died
