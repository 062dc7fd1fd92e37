"""The run stores a viewer shows: opened once, queried per page (never loaded whole)."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentbench.config import SystemConfig
from agentbench.errors import DataError
from agentbench.records import SampleResult
from agentbench.sweep.store import (
    InstanceRow,
    RunStore,
    StoreStats,
    SystemRow,
    parsed_record,
    read_only_uri,
)


@dataclass(eq=False)
class ViewRun:
    """One run folder: its position in the viewer, a label and its open store."""

    index: int
    path: Path
    store: RunStore
    label: str = ""
    _systems: list[SystemRow] | None = field(default=None, repr=False)
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _conns: list[sqlite3.Connection] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read-only SQL the store has no method for (one connection per thread)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        try:
            if conn is None:
                uri = read_only_uri(self.store.db_path)
                conn = sqlite3.connect(uri, uri=True, timeout=30.0, check_same_thread=False)
                self._local.conn = conn
                with self._lock:
                    self._conns.append(conn)
            return conn.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise DataError(
                f"cannot read the run store ({exc})",
                path=str(self.store.db_path),
                fix="the store is corrupt or from another program",
            ) from None

    def systems(self) -> list[SystemRow]:
        """The run's systems with sample counts (queried each time: a live run may add more)."""
        return self.store.systems()

    def system_list(self) -> list[SystemRow]:
        """The run's systems without counting samples (cheap: pages that only need names)."""
        rows = self.query("SELECT name, hash, config FROM systems ORDER BY first_seen, name")
        out = self._systems or []
        if [(s.name, s.hash) for s in out] != [(n, h) for n, h, _ in rows]:
            out = [
                SystemRow(name=n, hash=h, config=parsed_record(SystemConfig, c, f"systems[{n}]"))
                for n, h, c in rows
            ]
            self._systems = out
        return out

    def system(self, h: str) -> SystemRow | None:
        """One system by hash (or None)."""
        return next((s for s in self.system_list() if s.hash == h), None)

    def version(self) -> tuple[int, ...]:
        """Changes whenever the store is written (database and WAL file stamps)."""
        out: list[int] = []
        for suffix in ("", "-wal"):
            try:
                st = Path(f"{self.store.db_path}{suffix}").stat()
                out += [st.st_mtime_ns, st.st_size]
            except FileNotFoundError:
                out += [0, 0]
        return tuple(out)

    def stats(self) -> StoreStats:
        """Counts by status, actions and cost."""
        return self.store.stats()

    def instances(self, h: str) -> list[InstanceRow]:
        """Per-instance aggregates of one system."""
        return self.store.instances(system=h)

    def seeds(self, h: str, task: str, inst: str) -> list[SampleResult]:
        """Every sample of one system on one instance, by seed (one indexed query)."""
        rows = self.store.iter_results(system_hash=h, task=task, instance_id=inst, order="cell")
        return sorted(rows, key=lambda r: r.key.seed)

    def sample(self, key: str) -> SampleResult | None:
        """One sample by key."""
        return self.store.get(key)

    def trajectory_file(self, result: SampleResult) -> Path | None:
        """Absolute path of a sample's trajectory file; a path escaping the run is refused."""
        p = self.store.trajectory_file(result)
        if p is None:
            return None
        root = self.path.resolve()
        full = p.resolve()
        if root not in full.parents:
            raise DataError(
                f"trajectory_path {result.trajectory_path!r} points outside the run folder",
                path=str(self.store.db_path),
                field="samples.trajectory_path",
                fix="the store is corrupt or was edited by hand",
            )
        return full

    def close(self) -> None:
        """Close the store's connections and this viewer's own."""
        with self._lock:
            for c in self._conns:
                c.close()
            self._conns.clear()
        self.store.close()


def open_runs(paths: list[str | Path]) -> list[ViewRun]:
    """Open every run folder; the first bad one is a DataError naming it (others are closed)."""
    runs: list[ViewRun] = []
    try:
        for i, p in enumerate(paths):
            rd = Path(p)
            if not rd.is_dir():
                raise DataError(
                    "not a folder", path=str(rd), fix="pass a run folder made by `agentbench run`"
                )
            store = RunStore.open(rd)
            runs.append(ViewRun(index=i, path=rd, store=store, label=_label(rd, paths)))
    except BaseException:
        for r in runs:
            r.close()
        raise
    return runs


def _label(rd: Path, paths: list[str | Path]) -> str:
    """The folder name, or its path when two runs share a name."""
    names = [Path(p).resolve().name for p in paths]
    name = rd.resolve().name
    return name if names.count(name) == 1 else str(rd)
