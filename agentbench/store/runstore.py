"""The run store of one run folder: open or create it, hand out connections, close it.

Its reads are StoreQueries (queries.py), its writes StoreWrites (writer.py): one writer
thread commits in groups, one reader connection per thread runs beside it (WAL).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agentbench.errors import DataError, make_dir
from agentbench.store.queries import StoreQueries
from agentbench.store.schema import (
    DB_NAME,
    SCHEMA,
    STORE_SCHEMA_VERSION,
    TRAJECTORY_DIR,
    connect,
    on_read_only_fs,
    read_only_uri,
    refuse_foreign,
    told,
)
from agentbench.store.writer import GroupWriter, Op, StoreWrites


class RunStore(StoreQueries, StoreWrites):
    """The index of one run folder. Thread-safe; one writer thread, one reader per thread."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.db_path = run_dir / DB_NAME
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._writer: GroupWriter | None = None
        self._writer_lock = threading.Lock()
        self._closed = False

    @classmethod
    def open(cls, run_dir: str | Path) -> RunStore:
        """Open an existing run folder; a missing, corrupt or newer store is a DataError."""
        rd = Path(run_dir)
        db = rd / DB_NAME
        if not db.is_file():
            raise DataError(
                f"no run store ({DB_NAME}) in this folder",
                path=str(rd),
                fix="pass a run folder made by `agentbench run`",
            )
        store = cls(rd)
        store._check_schema()
        return store

    @classmethod
    def create(
        cls, run_dir: str | Path, spec: BaseModel | dict[str, Any] | None = None
    ) -> RunStore:
        """Create the run folder and store (or open the existing one) and record the spec."""
        rd = make_dir(Path(run_dir), what="the run folder", fix="pass a folder path for the run")
        store = cls(rd)
        refuse_foreign(store.db_path)
        try:
            conn = store._reader()  # its PRAGMAs already fail on a corrupt file
            conn.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            store.close()
            if isinstance(err := told(exc, store.db_path), DataError):
                raise err from None
            raise DataError(
                f"not a readable SQLite run store ({exc})",
                path=str(store.db_path),
                fix="the file is corrupt or not an agentbench store; move it away",
            ) from None
        cur = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if cur is None:
            conn.execute(
                "INSERT INTO meta VALUES ('schema_version', ?), ('created_at', ?)",
                (str(STORE_SCHEMA_VERSION), str(time.time())),
            )
        store._check_schema()
        # only once the store is known good: a corrupt one gains no trajectories/ folder
        make_dir(
            rd / TRAJECTORY_DIR, what="the trajectories folder", fix="pass a writable run folder"
        )
        if spec is not None:
            blob = spec.model_dump_json() if isinstance(spec, BaseModel) else json.dumps(spec)
            store.set_meta("spec", blob)
        return store

    def _check_schema(self) -> None:
        try:
            row = (
                self._reader()
                .execute("SELECT value FROM meta WHERE key = 'schema_version'")
                .fetchone()
            )
        except sqlite3.DatabaseError as exc:
            self.close()
            raise DataError(
                f"not a readable run store ({exc})",
                path=str(self.db_path),
                fix="the file is corrupt or not an agentbench store; re-create the run",
            ) from None
        if row is None:
            self.close()
            raise DataError(
                "meta table lacks schema_version",
                path=str(self.db_path),
                fix="not an agentbench run store",
            )
        version = int(row[0])
        if version > STORE_SCHEMA_VERSION:
            self.close()
            raise DataError(
                f"meta.schema_version {version} is newer than this agentbench "
                f"({STORE_SCHEMA_VERSION})",
                path=str(self.db_path),
                fix="upgrade agentbench to read this run",
            )

    def _reader(self) -> sqlite3.Connection:
        if self._closed:
            raise RuntimeError(f"{self.db_path}: run store is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if on_read_only_fs(self.run_dir):
                # a run folder on a read-only mount (a shared archive): read it, never write
                conn = sqlite3.connect(
                    read_only_uri(self.db_path), uri=True, check_same_thread=False,
                    isolation_level=None,
                )  # fmt: skip
            else:
                conn = connect(self.db_path)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def _write(self, op: Op) -> Future[Any]:
        if self._closed:
            raise RuntimeError(f"{self.db_path}: run store is closed")
        with self._writer_lock:
            if self._writer is None:
                self._writer = GroupWriter(self.db_path)
            return self._writer.submit(op)

    def close(self) -> None:
        """Flush pending writes and close every connection (idempotent)."""
        if self._closed:
            return
        with self._writer_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        self._closed = True
        with self._readers_lock:
            for c in self._readers:
                c.close()
            self._readers.clear()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
