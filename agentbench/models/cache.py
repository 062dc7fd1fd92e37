"""The response cache: SQLite under ModelConfig.cache_dir, keyed by request and seed index."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from agentbench.errors import DataError
from agentbench.records import ModelResponse

_SCHEMA = "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, response TEXT NOT NULL, created REAL NOT NULL)"
_FIX = "delete the file; the cache is rebuilt on the next run"


def default_cache_dir() -> Path:
    """$AGENTBENCH_CACHE_DIR/models, else ~/.cache/agentbench/models."""
    root = os.environ.get("AGENTBENCH_CACHE_DIR") or Path.home() / ".cache" / "agentbench"
    return Path(root) / "models"


class ResponseCache:
    """A file of past responses. Safe across threads and processes (WAL, short transactions)."""

    def __init__(self, directory: str | Path | None) -> None:
        base = Path(directory) if directory else default_cache_dir()
        base.mkdir(parents=True, exist_ok=True)
        self.path = base / "responses.sqlite"
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=30
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise DataError(
                f"not a readable response cache ({exc})", path=str(self.path), fix=_FIX
            ) from exc

    def get(self, key: str) -> ModelResponse | None:
        """The stored response for `key`, marked cached, or None."""
        with self._lock:
            try:
                row = self._db.execute(
                    "SELECT response FROM responses WHERE key = ?", (key,)
                ).fetchone()
            except sqlite3.DatabaseError as exc:
                raise DataError(
                    f"response cache unreadable ({exc})", path=str(self.path), fix=_FIX
                ) from exc
        if row is None:
            return None
        try:
            resp = ModelResponse.model_validate_json(row[0])
        except ValueError as exc:
            raise DataError(f"corrupt cache entry {key}", path=str(self.path), fix=_FIX) from exc
        return resp.model_copy(update={"cached": True, "retries": 0, "latency_s": 0.0})

    def put(self, key: str, response: ModelResponse) -> None:
        """Store `response` under `key` (a later put for the same key wins)."""
        blob = response.model_copy(update={"cached": False}).model_dump_json()
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?)", (key, blob, time.time())
            )

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()
