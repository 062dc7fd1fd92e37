"""Bounded output capture: keep the head and the tail, count what was dropped in between."""

from __future__ import annotations


class Capture:
    """Collects a byte stream, holding at most `limit` bytes (half head, half tail)."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self._head = bytearray()
        self._tail = bytearray()
        self.total = 0
        self._head_max = limit // 2 if limit is not None else 0
        self._tail_max = limit - self._head_max if limit is not None else 0

    def add(self, data: bytes | bytearray | memoryview) -> None:
        """Append `data`; bytes beyond the cap are dropped from the middle as they arrive."""
        n = len(data)
        if not n:
            return
        self.total += n
        if self.limit is None:
            self._head += data
            return
        room = self._head_max - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if len(data) >= self._tail_max:
            self._tail[:] = data[len(data) - self._tail_max :]
        elif data:
            self._tail += data
            extra = len(self._tail) - self._tail_max
            if extra > 0:
                del self._tail[:extra]

    @property
    def truncated(self) -> bool:
        """True if bytes were dropped."""
        return self.limit is not None and self.total > self.limit

    def dropped(self) -> int:
        """How many bytes were dropped."""
        return self.total - len(self._head) - len(self._tail)

    def raw(self) -> bytes:
        """The kept bytes (head then tail) with no marker."""
        return bytes(self._head + self._tail)

    def text(self) -> str:
        """The kept output as text (invalid UTF-8 replaced), with a marker where bytes were cut."""
        if not self.truncated:
            return bytes(self._head + self._tail).decode("utf-8", "replace")
        head = bytes(self._head).decode("utf-8", "replace")
        tail = bytes(self._tail).decode("utf-8", "replace")
        return f"{head}\n[... {self.dropped()} bytes of output truncated ...]\n{tail}"
