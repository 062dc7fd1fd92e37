"""The response cache: SQLite under ModelConfig.cache_dir, keyed by request and seed index.

An entry, once written, never changes: when two writers race on one key the first one wins
and the other gets the stored response back, so every unroll that used a key saw the same
answer. An entry that no longer reads as a ModelResponse is a miss (and is overwritten); a
file that is not a readable SQLite database is a DataError naming it.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from agentbench.errors import DataError, EnvironmentProblem, UserError, make_dir
from agentbench.logging import get_logger
from agentbench.records import ModelResponse

log = get_logger(__name__)

# Part of every key (see ClientModel.cache_key): bump it when what a cached response must
# carry changes, so entries written without it become misses instead of wrong hits.
# v2: responses carry provider_state (Anthropic signed thinking blocks).
FORMAT = "v2"

_COLUMNS = ("key", "response", "created")
_SCHEMA = "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, response TEXT NOT NULL, created REAL NOT NULL)"
_FIX = "delete the file; the cache is rebuilt on the next run"


def default_cache_dir() -> Path:
    """$AGENTBENCH_CACHE_DIR/models, else ~/.cache/agentbench/models."""
    root = os.environ.get("AGENTBENCH_CACHE_DIR") or Path.home() / ".cache" / "agentbench"
    return Path(root) / "models"


class ResponseCache:
    """A file of past responses. Safe across threads and processes (WAL, short transactions)."""

    def __init__(self, directory: str | Path | None, *, busy_timeout_s: float = 30.0) -> None:
        base = Path(directory) if directory else default_cache_dir()
        make_dir(
            base,
            what="the response cache folder",
            fix="set model.cache_dir (or $AGENTBENCH_CACHE_DIR) to a writable folder",
        )
        self.path = base / "responses.sqlite"
        self._lock = threading.Lock()
        self._busy_s = busy_timeout_s  # how long to wait for another process's transaction
        self._db: sqlite3.Connection | None = None
        try:
            self._db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=busy_timeout_s
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: no fsync per entry (≈3 ms each here); a power cut may lose the
            # last entries, never corrupt the file, and a lost entry is only a miss
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
            columns = [r[1] for r in self._db.execute("PRAGMA table_info(responses)")]
        except sqlite3.DatabaseError as exc:
            if self._db is not None:
                self._db.close()
            raise self._problem(exc, "open") from exc
        if columns != list(_COLUMNS):
            self._db.close()
            raise DataError(
                f"not a response cache: table responses has columns {columns}, "
                f"expected {list(_COLUMNS)}",
                path=str(self.path),
                fix=_FIX,
            )

    def get(self, key: str) -> ModelResponse | None:
        """The stored response for `key`, marked cached, or None (also for an unreadable entry)."""
        with self._lock:
            row = self._run("read", "SELECT response FROM responses WHERE key = ?", (key,))
        if row is None:
            return None
        resp = self._parse(key, row[0])
        if resp is None:
            return None
        return resp.model_copy(update={"cached": True, "retries": 0, "latency_s": 0.0})

    def put(self, key: str, response: ModelResponse) -> ModelResponse | None:
        """Store `response` under `key` unless an entry is there: None, or the stored winner.

        The winner comes back marked cached. A stored entry that no longer reads is replaced.
        """
        blob = response.model_copy(update={"cached": False}).model_dump_json()
        with self._lock:
            inserted = self._run(
                "write",
                "INSERT INTO responses VALUES (?, ?, ?) ON CONFLICT(key) DO NOTHING",
                (key, blob, time.time()),
                rowcount=True,
            )
            if inserted:
                return None
            row = self._run("read", "SELECT response FROM responses WHERE key = ?", (key,))
        winner = self._parse(key, row[0]) if row is not None else None
        if winner is None:
            # the entry was unreadable (now deleted): ours takes its place
            return self.put(key, response)
        return winner.model_copy(update={"cached": True, "retries": 0, "latency_s": 0.0})

    def __len__(self) -> int:
        with self._lock:
            row = self._run("read", "SELECT COUNT(*) FROM responses", ())
        return int(row[0]) if row else 0

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # ---------------------------------------------------------------- internals

    def _run(
        self, what: str, sql: str, params: tuple[object, ...], *, rowcount: bool = False
    ) -> tuple[object, ...] | None:
        """One statement; SQLite failures become one-line user errors naming the file."""
        if self._db is None:
            raise RuntimeError(f"response cache {self.path} is closed")
        try:
            cur = self._db.execute(sql, params)
            if rowcount:
                return (1,) if cur.rowcount > 0 else None
            row: tuple[object, ...] | None = cur.fetchone()
            return row
        except sqlite3.DatabaseError as exc:
            raise self._problem(exc, what) from exc

    def _parse(self, key: str, raw: object) -> ModelResponse | None:
        """The entry as a ModelResponse; an unreadable one is logged, deleted and a miss."""
        try:
            if not isinstance(raw, str | bytes):
                raise TypeError(f"entry is {type(raw).__name__}, not JSON text")
            return ModelResponse.model_validate_json(raw)
        except (ValueError, TypeError) as exc:
            log.warning(
                "model_cache_bad_entry",
                path=str(self.path),
                key=key,
                error=str(exc).splitlines()[0],
            )
            # Only this bad entry: another process may have replaced it with a good one
            # since we read it, and deleting that would give the key a second answer.
            with self._lock:  # callers read the entry first and released the lock
                self._run(
                    "write", "DELETE FROM responses WHERE key = ? AND response = ?", (key, raw)
                )
            return None

    def _problem(self, exc: sqlite3.DatabaseError, what: str) -> UserError:
        """The user error for a SQLite failure: busy, read-only or full disk, else corrupt."""
        text = str(exc)
        low = text.lower()
        if "locked" in low or "busy" in low:
            return EnvironmentProblem(
                f"response cache busy: another process held it for over {self._busy_s:g} s ({what})",
                path=str(self.path),
                fix="stop the other run using this cache, or give this run another cache_dir",
            )
        if "readonly" in low or "read-only" in low or "unable to open" in low:
            return EnvironmentProblem(
                f"response cache not writable ({text})",
                path=str(self.path),
                fix="make the file and its folder writable, or set model.cache_dir elsewhere",
            )
        if "full" in low:
            return EnvironmentProblem(
                f"response cache: disk full ({text})",
                path=str(self.path),
                fix="free disk space or set model.cache_dir on another disk",
            )
        return DataError(f"not a readable response cache ({text})", path=str(self.path), fix=_FIX)
