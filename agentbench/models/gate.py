"""A concurrency limit shared by every thread and event loop that uses one model."""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from types import TracebackType


class Gate:
    """A counting semaphore that works across event loops (asyncio.Semaphore is bound to one).

    Executors call one model from several threads, each with its own loop; the per-model
    limit must hold across all of them.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("concurrency limit must be >= 1")
        self.limit = limit
        self._used = 0
        self._lock = threading.Lock()
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()

    @property
    def in_use(self) -> int:
        """Slots held now."""
        return self._used

    async def acquire(self) -> None:
        """Wait for a free slot."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._used < self.limit and not self._waiters:
                self._used += 1
                return
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append((loop, fut))
        try:
            await fut
        except asyncio.CancelledError:
            with self._lock:
                try:
                    self._waiters.remove((loop, fut))
                    handed = False
                except ValueError:
                    handed = True
            # a slot handed to us just before the cancel must be passed on, not lost
            if handed and fut.done() and not fut.cancelled():
                self.release()
            raise

    def release(self) -> None:
        """Free a slot, handing it straight to the oldest waiter if there is one."""
        with self._lock:
            while self._waiters:
                loop, fut = self._waiters.popleft()
                if loop.is_closed():
                    continue
                loop.call_soon_threadsafe(self._wake, fut)
                return
            self._used -= 1

    def _wake(self, fut: asyncio.Future[None]) -> None:
        if fut.cancelled():
            self.release()  # its owner gave up: pass the slot on
        elif not fut.done():
            fut.set_result(None)

    async def __aenter__(self) -> Gate:
        await self.acquire()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
