"""The run store: one run folder, one SQLite index of every sample, trajectories beside it.

Layout of a run folder:

    run_dir/
      store.sqlite            samples, systems, tasks, meta (WAL, synchronous=NORMAL)
      trajectories/...        one JSONL file per sample (written by the task)

Writes from any thread go through one writer thread that commits in groups (group
commit): many samples share one fsync, yet `put` returns only after its row is
committed, so a sample is durable before the executor reports it done. Reads use
one connection per thread; WAL lets them run beside the writer. Every query is
SQL-level with filters, so pages over a large run never load it whole.
"""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from agentbench.config import SystemConfig
from agentbench.errors import DataError, make_dir
from agentbench.records import (
    ChoiceOutcome,
    ExitStatus,
    Record,
    SampleKey,
    SampleResult,
    SampleStatus,
    TestOutcome,
    Usage,
    VectorOutcome,
)
from agentbench.safeio import loads_json

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

STORE_SCHEMA_VERSION = 1
DB_NAME = "store.sqlite"
TRAJECTORY_DIR = "trajectories"

_OUTCOME_KINDS: dict[str, type[Record]] = {
    "tests": TestOutcome,
    "choice": ChoiceOutcome,
    "vector": VectorOutcome,
}
_KIND_OF = {cls: kind for kind, cls in _OUTCOME_KINDS.items()}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS systems (
  hash TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  config TEXT NOT NULL,
  first_seen REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (name TEXT PRIMARY KEY, spec TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS samples (
  key TEXT PRIMARY KEY,
  task TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  system_name TEXT NOT NULL,
  system_hash TEXT NOT NULL,
  seed INTEGER NOT NULL,
  status TEXT NOT NULL,
  outcome_kind TEXT,
  outcome TEXT,
  resolved INTEGER,
  exit_status TEXT,
  n_actions INTEGER NOT NULL DEFAULT 0,
  length REAL,
  input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  reasoning_tokens INTEGER NOT NULL DEFAULT 0,
  cached_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL,
  started_at REAL,
  finished_at REAL,
  wall_s REAL NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  trajectory_path TEXT,
  updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS samples_cell ON samples (system_hash, task, instance_id);
CREATE INDEX IF NOT EXISTS samples_instance ON samples (task, instance_id);
CREATE INDEX IF NOT EXISTS samples_status ON samples (status);
"""

_COLUMNS = (
    "key", "task", "instance_id", "system_name", "system_hash", "seed", "status",
    "outcome_kind", "outcome", "resolved", "exit_status", "n_actions", "length",
    "input_tokens", "output_tokens", "reasoning_tokens", "cached_tokens", "cost_usd",
    "started_at", "finished_at", "wall_s", "attempts", "error", "trajectory_path", "updated_at",
)  # fmt: skip
_INSERT = (
    f"INSERT OR REPLACE INTO samples ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _COLUMNS)})"
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM samples"


class SystemRow(Record):
    """One system of the run: its current name, config hash, config and sample count."""

    name: str
    hash: str
    config: SystemConfig
    n_samples: int = 0


class InstanceRow(Record):
    """Per-instance aggregate over the samples of one system (or all)."""

    task: str
    instance_id: str
    n_samples: int
    n_done: int
    n_missing: int
    n_resolved: int
    mean_length: float | None


class StoreStats(Record):
    """Totals over the whole run, for progress and the cost limit."""

    by_status: dict[str, int]
    n_actions: int
    cost_usd: float  # sum over samples with a known cost
    n_cost_unknown: int  # finished samples whose cost is unknown (not counted as 0)


# How long a write waits for another process's transaction before it gives up.
BUSY_TIMEOUT_S = 30.0


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_S, check_same_thread=False, isolation_level=None
    )
    conn.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode: a commit survives a process crash (kill -9); only power loss can drop
    # the last transactions, which is the trade the brief asks for.
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    return conn


def on_read_only_fs(path: Path) -> bool:
    """True when `path`'s filesystem is mounted read-only (nobody can write there)."""
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def read_only_uri(db: Path) -> str:
    """SQLite URI to read `db` without writing: `immutable` on a read-only mount, else `mode=ro`.

    On a read-only mount SQLite cannot create the WAL index (-shm), so `mode=ro` fails; nobody can
    write there, so reading the file as immutable is exact. A -wal file left there holds commits
    an immutable read would miss: that is refused.
    """
    uri = db.resolve().as_uri()
    if not on_read_only_fs(db.parent):
        return f"{uri}?mode=ro"
    wal = db.with_name(db.name + "-wal")
    if wal.is_file() and wal.stat().st_size > 0:
        raise DataError(
            f"the run store has writes not yet merged ({wal.name}) on a read-only filesystem",
            path=str(db),
            fix="copy the run folder somewhere writable and open the copy",
        )
    return f"{uri}?immutable=1"


def _refuse_foreign(db: Path) -> None:
    """DataError if `db` is another tool's SQLite database (looked at read-only, unchanged)."""
    if not db.is_file() or db.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return  # corrupt: the caller's open says so
    tables = sorted(r[0] for r in rows)
    if tables and "meta" not in tables:
        # adding our tables (and WAL mode) to someone else's database would damage it
        raise DataError(
            f"not an agentbench run store (it holds tables {', '.join(tables[:5])})",
            path=str(db),
            fix="use a new run folder; this one belongs to another tool",
        )


def _rollback(conn: sqlite3.Connection) -> None:
    """ROLLBACK if a transaction is open (a BEGIN that failed opened none)."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _told(exc: Exception, path: Path) -> Exception:
    """A store another process holds locked becomes a one-line DataError; others stay as is."""
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return DataError(
            f"the run store stayed locked by another process for {BUSY_TIMEOUT_S:.0f} s ({exc})",
            path=str(path),
            fix="wait for the other agentbench command writing this run to finish, "
            "or use another run folder",
        )
    return exc


def _row_of(r: SampleResult) -> tuple[Any, ...]:
    k = r.key
    kind = None if r.outcome is None else _KIND_OF[type(r.outcome)]
    outcome = None if r.outcome is None else r.outcome.model_dump_json()
    resolved = None if r.resolved is None else int(r.resolved)
    u = r.usage
    return (
        k.key, k.task, k.instance_id, k.system, k.system_hash, k.seed, r.status.value,
        kind, outcome, resolved, None if r.exit_status is None else r.exit_status.value,
        r.n_actions, r.length, u.input_tokens, u.output_tokens, u.reasoning_tokens,
        u.cached_tokens, r.cost_usd, r.started_at, r.finished_at, r.wall_s, r.attempts,
        r.error, r.trajectory_path, time.time(),
    )  # fmt: skip


def parsed_record(model: Any, blob: str, where: str) -> Any:
    """A record from a store's JSON column; a malformed or hostile one is one DataError line."""
    try:
        return model.model_validate_json(blob)  # pydantic's parser caps nesting itself
    except ValidationError as exc:
        e = exc.errors()[0]
        raise DataError(
            f"{where}: {e['msg']}",
            path=DB_NAME,
            fix="the run store is corrupt or was edited by hand; re-create the run",
        ) from None


def _result_of(row: tuple[Any, ...]) -> SampleResult:
    (_key, task, inst, sname, shash, seed, status, kind, outcome, resolved, exit_status,
     n_actions, length, it, ot, rt, ct, cost, started, finished, wall, attempts, error,
     traj, _upd) = row  # fmt: skip
    out = (
        None
        if outcome is None
        else parsed_record(_OUTCOME_KINDS[kind], outcome, f"samples[{_key}].outcome")
    )
    return SampleResult(
        key=SampleKey(task=task, instance_id=inst, system=sname, system_hash=shash, seed=seed),
        status=SampleStatus(status),
        outcome=out,
        resolved=None if resolved is None else bool(resolved),
        exit_status=None if exit_status is None else ExitStatus(exit_status),
        n_actions=n_actions,
        length=length,
        usage=Usage(input_tokens=it, output_tokens=ot, reasoning_tokens=rt, cached_tokens=ct),
        cost_usd=cost,
        started_at=started,
        finished_at=finished,
        wall_s=wall,
        attempts=attempts,
        error=error,
        trajectory_path=traj,
    )


_Op = Callable[[sqlite3.Connection], Any]


class _GroupWriter:
    """One thread owns the write connection; queued writes commit together in one transaction."""

    _STOP = object()

    def __init__(self, path: Path, max_batch: int = 512) -> None:
        self._path = path
        self._max_batch = max_batch
        self._q: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="runstore-writer", daemon=True)
        self._thread.start()

    def submit(self, op: _Op) -> Future[Any]:
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
        conn = _connect(self._path)
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
    def _commit(conn: sqlite3.Connection, batch: list[tuple[_Op, Future[Any]]], path: Path) -> None:
        results: list[Any] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for op, _ in batch:
                results.append(op(conn))
            conn.execute("COMMIT")
        except Exception as first:
            # a failed BEGIN (store locked) opened no transaction: a bare ROLLBACK would raise
            # and kill this thread, leaving every caller waiting on its future forever
            _rollback(conn)
            told = _told(first, path)
            if isinstance(told, DataError):  # locked: one by one would wait again for each
                for _, fut in batch:
                    fut.set_exception(told)
                return
            # one bad write must not sink the others: redo them one by one
            for op, fut in batch:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    res = op(conn)
                    conn.execute("COMMIT")
                    fut.set_result(res)
                except Exception as exc:
                    _rollback(conn)
                    fut.set_exception(_told(exc, path))
            return
        for (_, fut), res in zip(batch, results, strict=True):
            fut.set_result(res)


def _where(filters: dict[str, Any]) -> tuple[str, list[Any]]:
    """SQL WHERE clause for the supported filters; unknown filters are a bug in the caller."""
    clauses: list[str] = []
    args: list[Any] = []
    for name, value in filters.items():
        if value is None:
            continue
        if name == "system":  # a system's current name or its hash
            clauses.append(
                "(system_hash = ? OR system_hash IN (SELECT hash FROM systems WHERE name = ?))"
            )
            args += [value, value]
        elif name in ("system_hash", "task", "instance_id", "seed", "key"):
            clauses.append(f"{name} = ?")
            args.append(value)
        elif name == "status":
            vals = [value] if isinstance(value, str | SampleStatus) else list(value)
            clauses.append(f"status IN ({', '.join('?' for _ in vals)})")
            args += [SampleStatus(v).value for v in vals]
        elif name == "resolved":
            clauses.append("resolved = ?")
            args.append(int(bool(value)))
        else:
            raise TypeError(f"unknown run store filter {name!r}")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


class RunStore:
    """The index of one run folder. Thread-safe; one writer thread, one reader per thread."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.db_path = run_dir / DB_NAME
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._writer: _GroupWriter | None = None
        self._writer_lock = threading.Lock()
        self._closed = False

    # ------------------------------------------------------------ open / create

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
        _refuse_foreign(store.db_path)
        try:
            conn = store._reader()  # its PRAGMAs already fail on a corrupt file
            conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            store.close()
            if isinstance(told := _told(exc, store.db_path), DataError):
                raise told from None
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

    # ------------------------------------------------------------ connections

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
                conn = _connect(self.db_path)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def _write(self, op: _Op) -> Future[Any]:
        if self._closed:
            raise RuntimeError(f"{self.db_path}: run store is closed")
        with self._writer_lock:
            if self._writer is None:
                self._writer = _GroupWriter(self.db_path)
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

    # ------------------------------------------------------------ meta, systems, tasks

    def set_meta(self, key: str, value: str) -> None:
        """Set one meta value (durable on return)."""
        self._write(
            lambda c: c.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        ).result()

    def meta(self, key: str) -> str | None:
        """One meta value, or None."""
        row = self._reader().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def spec(self) -> dict[str, Any] | None:
        """The last sweep spec run into this folder, as a dict."""
        raw = self.meta("spec")
        return None if raw is None else loads_json(raw, source=f"{self.db_path}: meta.spec")

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

    def tasks(self) -> dict[str, dict[str, Any]]:
        """Task name -> spec dict."""
        rows = self._reader().execute("SELECT name, spec FROM tasks ORDER BY name").fetchall()
        return {n: loads_json(s, source=f"{self.db_path}: tasks[{n}]") for n, s in rows}

    def systems(self) -> list[SystemRow]:
        """Every system of the run, by first appearance, with its sample count."""
        rows = (
            self._reader()
            .execute(
                "SELECT s.name, s.hash, s.config, "
                "(SELECT COUNT(*) FROM samples WHERE system_hash = s.hash) "
                "FROM systems s ORDER BY s.first_seen, s.name"
            )
            .fetchall()
        )
        return [
            SystemRow(
                name=n, hash=h, config=parsed_record(SystemConfig, c, f"systems[{n}]"), n_samples=k
            )
            for n, h, c, k in rows
        ]

    def system(self, name_or_hash: str) -> SystemRow | None:
        """One system by current name or hash."""
        for s in self.systems():
            if name_or_hash in (s.name, s.hash):
                return s
        return None

    # ------------------------------------------------------------ samples: writes

    def put(self, result: SampleResult) -> None:
        """Insert or replace one sample; returns once it is committed."""
        self.put_async(result).result()

    def put_async(self, result: SampleResult) -> Future[None]:
        """Queue one sample; the future resolves once it is committed (group commit)."""
        row = _row_of(result)
        return self._write(lambda c: c.execute(_INSERT, row) and None)

    def put_many(self, results: Iterable[SampleResult]) -> None:
        """Insert many samples in one transaction (bulk loads, imports)."""
        rows = [_row_of(r) for r in results]
        self._write(lambda c: c.executemany(_INSERT, rows) and None).result()

    def mark_running(self, key: SampleKey, started_at: float | None = None) -> None:
        """Record that a sample started; a crash leaves it RUNNING and resume re-runs it."""
        self.mark_running_async(key, started_at).result()

    def mark_running_async(self, key: SampleKey, started_at: float | None = None) -> Future[None]:
        """Queue the RUNNING mark without waiting (it only informs progress and viewers)."""
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

    # ------------------------------------------------------------ samples: reads

    def get(self, key: str | SampleKey) -> SampleResult | None:
        """One sample by key, or None."""
        k = key.key if isinstance(key, SampleKey) else key
        row = self._reader().execute(f"{_SELECT} WHERE key = ?", (k,)).fetchone()
        return None if row is None else _result_of(row)

    def done_keys(self) -> set[str]:
        """Keys of samples with an outcome (DONE): resume skips exactly these."""
        rows = self._reader().execute("SELECT key FROM samples WHERE status = 'done'").fetchall()
        return {r[0] for r in rows}

    def status_of(self, keys: Iterable[str] | None = None) -> dict[str, tuple[str, int]]:
        """key -> (status, attempts) for the given keys (or all)."""
        rows = self._reader().execute("SELECT key, status, attempts FROM samples").fetchall()
        want = None if keys is None else set(keys)
        return {k: (s, a) for k, s, a in rows if want is None or k in want}

    def count(self, **filters: Any) -> int:
        """Number of samples matching the filters."""
        where, args = _where(filters)
        return int(
            self._reader().execute(f"SELECT COUNT(*) FROM samples{where}", args).fetchone()[0]
        )

    def iter_results(
        self,
        *,
        limit: int | None = None,
        offset: int = 0,
        order: str = "key",
        batch: int = 2000,
        **filters: Any,
    ) -> Iterator[SampleResult]:
        """Stream samples matching the filters (system, system_hash, task, instance_id, seed,
        status, resolved, key), `batch` rows at a time; `order` is 'key' or 'cell'."""
        where, args = _where(filters)
        order_sql = {
            "key": "key",
            "cell": "task, instance_id, system_hash, seed",
        }[order]
        sql = f"{_SELECT}{where} ORDER BY {order_sql}"
        if limit is not None or offset:
            sql += " LIMIT ? OFFSET ?"
            args = [*args, -1 if limit is None else limit, offset]
        cur = self._reader().cursor()
        cur.execute(sql, args)
        try:
            while rows := cur.fetchmany(batch):
                for row in rows:
                    yield _result_of(row)
        finally:
            cur.close()

    def instances(self, system: str | None = None, task: str | None = None) -> list[InstanceRow]:
        """Per-instance aggregates, in (task, instance) order, for one system or all."""
        where, args = _where({"system": system, "task": task})
        rows = (
            self._reader()
            .execute(
                "SELECT task, instance_id, COUNT(*), "
                "SUM(status = 'done'), SUM(status = 'missing'), COALESCE(SUM(resolved), 0), "
                "AVG(CASE WHEN status = 'done' THEN length END) "
                f"FROM samples{where} GROUP BY task, instance_id ORDER BY task, instance_id",
                args,
            )
            .fetchall()
        )
        return [
            InstanceRow(
                task=t,
                instance_id=i,
                n_samples=n,
                n_done=d or 0,
                n_missing=m or 0,
                n_resolved=r or 0,
                mean_length=ml,
            )
            for t, i, n, d, m, r, ml in rows
        ]

    def stats(self) -> StoreStats:
        """Counts by status, actions and spent cost (known costs only; unknown counted apart)."""
        c = self._reader()
        by = dict(c.execute("SELECT status, COUNT(*) FROM samples GROUP BY status").fetchall())
        n_act, cost, unknown = c.execute(
            "SELECT COALESCE(SUM(n_actions), 0), COALESCE(SUM(cost_usd), 0), "
            "SUM(cost_usd IS NULL AND status IN ('done', 'missing')) FROM samples"
        ).fetchone()
        return StoreStats(
            by_status=by,
            n_actions=int(n_act),
            cost_usd=float(cost),
            n_cost_unknown=int(unknown or 0),
        )

    def trajectory_file(self, result: SampleResult) -> Path | None:
        """Absolute path of a sample's trajectory file, if it has one."""
        return None if result.trajectory_path is None else self.run_dir / result.trajectory_path

    # ------------------------------------------------------------ tables

    def _table_rows(self, filters: dict[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
        where, args = _where(filters)
        cols = [c for c in _COLUMNS if c != "updated_at"]
        rows = (
            self._reader()
            .execute(f"SELECT {', '.join(cols)} FROM samples{where} ORDER BY key", args)
            .fetchall()
        )
        return cols, rows

    def to_arrow(self, **filters: Any) -> pa.Table:
        """Samples as a pyarrow Table (outcome as JSON text), one column per store column."""
        import pyarrow as pa

        cols, rows = self._table_rows(filters)
        types = _arrow_types(pa)
        data = {c: [r[i] for r in rows] for i, c in enumerate(cols)}
        data["resolved"] = [None if v is None else bool(v) for v in data["resolved"]]
        return pa.table({c: pa.array(data[c], type=types[c]) for c in cols})

    def to_frame(self, **filters: Any) -> pd.DataFrame:
        """Samples as a pandas DataFrame: unknown cost is NaN (never 0), `resolved` is a nullable
        boolean, integer columns are nullable Int64."""
        import pandas as pd
        import pyarrow as pa

        mapping = {pa.bool_(): pd.BooleanDtype(), pa.int64(): pd.Int64Dtype()}
        return self.to_arrow(**filters).to_pandas(types_mapper=mapping.get)

    def systems_arrow(self) -> pa.Table:
        """The systems table: hash, name, config JSON."""
        import pyarrow as pa

        rows = (
            self._reader()
            .execute("SELECT hash, name, config FROM systems ORDER BY first_seen, name")
            .fetchall()
        )
        return pa.table(
            {
                "system_hash": pa.array([r[0] for r in rows], pa.string()),
                "system_name": pa.array([r[1] for r in rows], pa.string()),
                "config": pa.array([r[2] for r in rows], pa.string()),
            }
        )

    def tests_arrow(self, **filters: Any) -> pa.Table:
        """Per-test outcomes, one row per (sample key, test): passed, and which list it is in."""
        import pyarrow as pa

        where, args = _where({**filters, "status": SampleStatus.DONE})
        keys: list[str] = []
        tests: list[str] = []
        passed: list[bool] = []
        f2p: list[bool] = []
        cur = self._reader().execute(
            f"SELECT key, outcome FROM samples{where} AND outcome_kind = 'tests' ORDER BY key", args
        )
        while rows := cur.fetchmany(2000):
            for key, blob in rows:
                o = loads_json(blob, source=f"{self.db_path}: samples[{key}].outcome")
                fail_to_pass = set(o.get("fail_to_pass", []))
                for t, p in zip(o["tests"], o["passed"], strict=True):
                    keys.append(key)
                    tests.append(t)
                    passed.append(bool(p))
                    f2p.append(t in fail_to_pass)
        return pa.table(
            {
                "key": pa.array(keys, pa.string()),
                "test": pa.array(tests, pa.string()),
                "passed": pa.array(passed, pa.bool_()),
                "fail_to_pass": pa.array(f2p, pa.bool_()),
            }
        )


def _arrow_types(pa: Any) -> dict[str, Any]:
    """Arrow type of each exported column (pyarrow is imported lazily)."""
    s, i, f = pa.string(), pa.int64(), pa.float64()
    return {
        "key": s, "task": s, "instance_id": s, "system_name": s, "system_hash": s, "seed": i,
        "status": s, "outcome_kind": s, "outcome": s, "resolved": pa.bool_(), "exit_status": s,
        "n_actions": i, "length": f, "input_tokens": i, "output_tokens": i,
        "reasoning_tokens": i, "cached_tokens": i, "cost_usd": f, "started_at": f,
        "finished_at": f, "wall_s": f, "attempts": i, "error": s, "trajectory_path": s,
    }  # fmt: skip
