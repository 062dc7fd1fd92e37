"""Every write of the run store, through one writer thread that commits in groups.

Writes from any thread go through one writer thread (group commit): many samples share one
fsync, yet `put` returns only after its row is committed, so a sample is durable before the
executor reports it done.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from agentbench.config import SystemConfig
from agentbench.errors import DataError
from agentbench.records import SampleKey, SampleResult, SampleStatus
from agentbench.store.rows import row_of
from agentbench.store.schema import COLUMNS, connect, told

Op = Callable[[sqlite3.Connection], Any]

INSERT = (
    f"INSERT OR REPLACE INTO samples ({', '.join(COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in COLUMNS)})"
)


def rollback(conn: sqlite3.Connection) -> None:
    """ROLLBACK if a transaction is open (a BEGIN that failed opened none)."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


class GroupWriter:
    """One thread owns the write connection; queued writes commit together in one transaction."""

    _STOP = object()

    def __init__(self, path: Path, max_batch: int = 512) -> None:
        self._path = path
        self._max_batch = max_batch
        self._q: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="runstore-writer", daemon=True)
        self._thread.start()

    def submit(self, op: Op) -> Future[Any]:
        """Queue a write; the future resolves once it is committed."""
        fut: Future[Any] = Future()
        if not self._thread.is_alive():
            raise RuntimeError(f"{self._path}: run store writer is closed")
        self._q.put((op, fut))
        return fut

    def close(self) -> None:
        """Flush pending writes and stop the thread."""
        if self._thread.is_alive():
            self._q.put(self._STOP)
            self._thread.join()

    def _loop(self) -> None:
        conn = connect(self._path)
        try:
            while True:
                item = self._q.get()
                stop = item is self._STOP
                batch = [] if stop else [item]
                while len(batch) < self._max_batch:
                    try:
                        nxt = self._q.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is self._STOP:
                        stop = True
                        break
                    batch.append(nxt)
                if batch:
                    self._commit(conn, batch, self._path)
                if stop:
                    return
        finally:
            conn.close()

    @staticmethod
    def _commit(conn: sqlite3.Connection, batch: list[tuple[Op, Future[Any]]], path: Path) -> None:
        results: list[Any] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for op, _ in batch:
                results.append(op(conn))
            conn.execute("COMMIT")
        except Exception as first:
            # a failed BEGIN (store locked) opened no transaction: a bare ROLLBACK would raise
            # and kill this thread, leaving every caller waiting on its future forever
            rollback(conn)
            err = told(first, path)
            if isinstance(err, DataError):  # locked: one by one would wait again for each
                for _, fut in batch:
                    fut.set_exception(err)
                return
            # one bad write must not sink the others: redo them one by one
            for op, fut in batch:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    res = op(conn)
                    conn.execute("COMMIT")
                    fut.set_result(res)
                except Exception as exc:
                    rollback(conn)
                    fut.set_exception(told(exc, path))
            return
        for (_, fut), res in zip(batch, results, strict=True):
            fut.set_result(res)


class StoreWrites:
    """The run store's writes; each goes through `_write` (the group writer)."""

    _write: Callable[[Op], Future[Any]]

    def set_meta(self, key: str, value: str) -> None:
        """Set one meta value (durable on return)."""
        self._write(
            lambda c: c.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        ).result()

    def register_system(self, system: SystemConfig) -> str:
        """Record a system by hash; a renamed but unchanged system keeps its samples."""
        h = system.config_hash()
        cfg = system.model_dump_json()

        def op(c: sqlite3.Connection) -> None:
            c.execute(
                "INSERT INTO systems VALUES (?, ?, ?, ?) "
                "ON CONFLICT(hash) DO UPDATE SET name = excluded.name, config = excluded.config",
                (h, system.name, cfg, time.time()),
            )
            # the label follows the current name so filters and reports use one name
            c.execute(
                "UPDATE samples SET system_name = ? WHERE system_hash = ? AND system_name != ?",
                (system.name, h, system.name),
            )

        self._write(op).result()
        return h

    def register_task(self, name: str, spec: dict[str, Any]) -> None:
        """Record a task's spec (what make_task needs to rebuild it)."""
        blob = json.dumps(spec, sort_keys=True)
        self._write(
            lambda c: c.execute("INSERT OR REPLACE INTO tasks VALUES (?, ?)", (name, blob))
        ).result()

    def put(self, result: SampleResult) -> None:
        """Insert or replace one sample; returns once it is committed."""
        self.put_async(result).result()

    def put_async(self, result: SampleResult) -> Future[None]:
        """Queue one sample; the future resolves once it is committed (group commit)."""
        row = row_of(result)
        return self._write(lambda c: c.execute(INSERT, row) and None)

    def put_many(self, results: Iterable[SampleResult]) -> None:
        """Insert many samples in one transaction (bulk loads, imports)."""
        rows = [row_of(r) for r in results]
        self._write(lambda c: c.executemany(INSERT, rows) and None).result()

    def mark_running_async(self, key: SampleKey, started_at: float | None = None) -> Future[None]:
        """Queue the RUNNING mark without waiting; a crash leaves it RUNNING and resume re-runs it."""
        t = time.time() if started_at is None else started_at

        def op(c: sqlite3.Connection) -> None:
            c.execute(
                "INSERT INTO samples (key, task, instance_id, system_name, system_hash, seed, "
                "status, started_at, attempts, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?) "
                "ON CONFLICT(key) DO UPDATE SET status = excluded.status, "
                "started_at = excluded.started_at, updated_at = excluded.updated_at "
                "WHERE samples.status != 'done'",
                (key.key, key.task, key.instance_id, key.system, key.system_hash, key.seed,
                 SampleStatus.RUNNING.value, t, t),
            )  # fmt: skip

        return self._write(op)
