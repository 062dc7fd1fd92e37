"""A grading log kept to a fixed size while it streams in: its head, its tail, and a cut note.

The head holds the patch-apply markers and the test command; the tail holds the test
summary and the end marker that swebench's log parsers read. Whatever lies between is
dropped as it arrives, so a test run that prints gigabytes costs a bounded amount of memory.
"""

from __future__ import annotations

from collections import deque

CUT_NOTE = (
    "\n[agentbench: {n:,} bytes of grading output cut here (kept {head:,} head + {tail:,} tail)]\n"
)


class CappedLog:
    """Collects a byte stream, keeping at most `head` + `tail` bytes of it."""

    def __init__(self, *, head: int, tail: int) -> None:
        self.head_cap = head
        self.tail_cap = tail
        self._head = bytearray()
        self._tail: deque[bytes] = deque()
        self._tail_len = 0
        self.total = 0

    def feed(self, chunk: bytes) -> None:
        """Add the next piece of output."""
        self.total += len(chunk)
        room = self.head_cap - len(self._head)
        if room > 0:
            self._head += chunk[:room]
            chunk = chunk[room:]
        if not chunk:
            return
        self._tail.append(chunk)
        self._tail_len += len(chunk)
        while self._tail_len - len(self._tail[0]) >= self.tail_cap:
            self._tail_len -= len(self._tail.popleft())

    @property
    def cut(self) -> int:
        """Bytes dropped from the middle (0: the whole output was kept)."""
        return max(0, self.total - self.head_cap - self.tail_cap)

    def text(self) -> str:
        """The kept output, with a note where the middle was cut."""
        tail = b"".join(self._tail)[-self.tail_cap :] if self._tail else b""
        if not self.cut:  # decoded as one, so a character across the head/tail seam survives
            return (bytes(self._head) + tail).decode("utf-8", errors="replace")
        head = self._head.decode("utf-8", errors="replace")
        # start the tail at a line boundary so the parser never sees half a line
        nl = tail.find(b"\n")
        tail = tail[nl + 1 :] if 0 <= nl < len(tail) - 1 else tail
        note = CUT_NOTE.format(
            n=self.total - len(self._head) - len(tail), head=len(self._head), tail=len(tail)
        )
        return head + note + tail.decode("utf-8", errors="replace")
