"""The run store's tables, its column order, its outcome kinds and how it opens connections.

Layout of a run folder:

    run_dir/
      store.sqlite            samples, systems, tasks, meta (WAL, synchronous=NORMAL)
      trajectories/...        one JSONL file per sample (written by the task)
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agentbench.errors import DataError
from agentbench.records import ChoiceOutcome, Record, TestOutcome, VectorOutcome, first_problem

STORE_SCHEMA_VERSION = 1
DB_NAME = "store.sqlite"
TRAJECTORY_DIR = "trajectories"

# samples.outcome_kind: the one place that names each outcome record's kind
TESTS, CHOICE, VECTOR = "tests", "choice", "vector"
OUTCOME_KINDS: dict[str, type[Record]] = {
    TESTS: TestOutcome,
    CHOICE: ChoiceOutcome,
    VECTOR: VectorOutcome,
}
KIND_OF = {cls: kind for kind, cls in OUTCOME_KINDS.items()}

SCHEMA = """
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

COLUMNS = (
    "key", "task", "instance_id", "system_name", "system_hash", "seed", "status",
    "outcome_kind", "outcome", "resolved", "exit_status", "n_actions", "length",
    "input_tokens", "output_tokens", "reasoning_tokens", "cached_tokens", "cost_usd",
    "started_at", "finished_at", "wall_s", "attempts", "error", "trajectory_path", "updated_at",
)  # fmt: skip

# How long a write waits for another process's transaction before it gives up.
BUSY_TIMEOUT_S = 30.0


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode with the store's WAL and busy-timeout settings."""
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


def refuse_foreign(db: Path) -> None:
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


def told(exc: Exception, path: Path) -> Exception:
    """A store another process holds locked becomes a one-line DataError; others stay as is."""
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return DataError(
            f"the run store stayed locked by another process for {BUSY_TIMEOUT_S:.0f} s ({exc})",
            path=str(path),
            fix="wait for the other agentbench command writing this run to finish, "
            "or use another run folder",
        )
    return exc


def parsed_record(model: Any, blob: str, where: str) -> Any:
    """A record from a store's JSON column; a malformed or hostile one is one DataError line."""
    try:
        return model.model_validate_json(blob)  # pydantic's parser caps nesting itself
    except ValidationError as exc:
        raise DataError(
            f"{where}: {first_problem(exc)[1]}",
            path=DB_NAME,
            fix="the run store is corrupt or was edited by hand; re-create the run",
        ) from None
