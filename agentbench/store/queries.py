"""Every read of the run store: SQL-level filters, so pages over a large run never load it whole.

Reads use one connection per thread (`_reader`); WAL lets them run beside the writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from agentbench.config import SystemConfig
from agentbench.errors import DataError
from agentbench.records import SampleKey, SampleResult, SampleStatus
from agentbench.safeio import loads_json
from agentbench.store.rows import InstanceRow, StoreStats, SystemRow, result_of
from agentbench.store.schema import CHOICE, COLUMNS, TESTS, parsed_record

SELECT = f"SELECT {', '.join(COLUMNS)} FROM samples"
# what tables and exports show: every column but the write stamp
TABLE_COLUMNS = [c for c in COLUMNS if c != "updated_at"]

# the narrow row an analysis needs: the outcome vector only (passed flags or probabilities)
_ANALYSIS = (
    "SELECT task, instance_id, system_hash, seed, status, outcome_kind, "
    f"CASE outcome_kind WHEN '{TESTS}' THEN json_extract(outcome, '$.passed') "
    f"WHEN '{CHOICE}' THEN json_extract(outcome, '$.probs') ELSE NULL END, "
    f"CASE outcome_kind WHEN '{CHOICE}' THEN json_extract(outcome, '$.target') ELSE NULL END, "
    "resolved, n_actions, length, attempts, error FROM samples"
)


def where(filters: dict[str, Any]) -> tuple[str, list[Any]]:
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
        elif name in ("system_hash", "task", "instance_id", "seed", "key", "outcome_kind"):
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


class StoreQueries:
    """The run store's reads; each runs on the calling thread's `_reader` connection."""

    db_path: Path
    run_dir: Path
    _reader: Callable[[], sqlite3.Connection]

    def meta(self, key: str) -> str | None:
        """One meta value, or None."""
        row = self._reader().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def spec(self) -> dict[str, Any] | None:
        """The last sweep spec run into this folder, as a dict."""
        raw = self.meta("spec")
        return None if raw is None else loads_json(raw, source=f"{self.db_path}: meta.spec")

    def tasks(self) -> dict[str, dict[str, Any]]:
        """Task name -> spec dict."""
        rows = self._reader().execute("SELECT name, spec FROM tasks ORDER BY name").fetchall()
        return {n: loads_json(s, source=f"{self.db_path}: tasks[{n}]") for n, s in rows}

    def system_configs(self) -> list[tuple[str, str, str]]:
        """(name, hash, config JSON) of every system by first appearance (no sample counts)."""
        sql = "SELECT name, hash, config FROM systems ORDER BY first_seen, name"
        return self._reader().execute(sql).fetchall()

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

    def get(self, key: str | SampleKey) -> SampleResult | None:
        """One sample by key, or None."""
        k = key.key if isinstance(key, SampleKey) else key
        row = self._reader().execute(f"{SELECT} WHERE key = ?", (k,)).fetchone()
        return None if row is None else result_of(row)

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
        w, args = where(filters)
        return int(self._reader().execute(f"SELECT COUNT(*) FROM samples{w}", args).fetchone()[0])

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
        w, args = where(filters)
        order_sql = {
            "key": "key",
            "cell": "task, instance_id, system_hash, seed",
        }[order]
        sql = f"{SELECT}{w} ORDER BY {order_sql}"
        if limit is not None or offset:
            sql += " LIMIT ? OFFSET ?"
            args = [*args, -1 if limit is None else limit, offset]
        cur = self._reader().cursor()
        cur.execute(sql, args)
        try:
            while rows := cur.fetchmany(batch):
                for row in rows:
                    yield result_of(row)
        finally:
            cur.close()

    def instances(self, system: str | None = None, task: str | None = None) -> list[InstanceRow]:
        """Per-instance aggregates, in (task, instance) order, for one system or all."""
        w, args = where({"system": system, "task": task})
        rows = (
            self._reader()
            .execute(
                "SELECT task, instance_id, COUNT(*), "
                "SUM(status = 'done'), SUM(status = 'missing'), COALESCE(SUM(resolved), 0), "
                "AVG(CASE WHEN status = 'done' THEN length END) "
                f"FROM samples{w} GROUP BY task, instance_id ORDER BY task, instance_id",
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

    def instance_pairs(self, system_hash: str) -> set[tuple[str, str]]:
        """(task, instance_id) of every instance with a sample of one system."""
        rows = self._reader().execute(
            "SELECT DISTINCT task, instance_id FROM samples WHERE system_hash = ?", (system_hash,)
        )
        return {(str(t), str(i)) for t, i in rows}

    def has_samples(self, system_hash: str, task: str, instance_id: str) -> bool:
        """Whether one system has any sample of one instance."""
        row = self._reader().execute(
            "SELECT 1 FROM samples WHERE system_hash = ? AND task = ? AND instance_id = ? LIMIT 1",
            (system_hash, task, instance_id),
        )
        return row.fetchone() is not None

    def trajectory_keys(self) -> list[str]:
        """Keys of the samples that have a trajectory file."""
        sql = "SELECT key FROM samples WHERE trajectory_path IS NOT NULL"
        return [k for (k,) in self._reader().execute(sql)]

    def analysis_rows(self) -> list[tuple[Any, ...]]:
        """Every sample as (task, instance, system hash, seed, status, kind, vector JSON, target,
        resolved, n_actions, length, attempts, error): no record built per row."""
        try:
            return self._reader().execute(_ANALYSIS).fetchall()
        except sqlite3.DatabaseError as exc:
            raise DataError(
                f"cannot read the samples table ({exc})",
                path=str(self.db_path),
                fix="the store is corrupt or from another program",
            ) from None

    def table_rows(self, **filters: Any) -> list[tuple[Any, ...]]:
        """Samples as tuples of TABLE_COLUMNS, by key."""
        w, args = where(filters)
        sql = f"SELECT {', '.join(TABLE_COLUMNS)} FROM samples{w} ORDER BY key"
        return self._reader().execute(sql, args).fetchall()

    def iter_outcomes(self, batch: int = 2000, **filters: Any) -> Iterator[tuple[str, str]]:
        """(key, outcome JSON) of the samples matching the filters, by key, streamed."""
        w, args = where(filters)
        cur = self._reader().execute(f"SELECT key, outcome FROM samples{w} ORDER BY key", args)
        while rows := cur.fetchmany(batch):
            yield from rows

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
