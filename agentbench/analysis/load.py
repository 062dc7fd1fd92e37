"""Read a run store into column arrays for analysis: one narrow SQL query, one JSON parse.

Reports over 100k samples must take seconds, so this avoids building a pydantic record per
row: it selects only the columns the analysis needs and parses every outcome vector with a
single `json.loads` over the concatenated texts.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agentbench.errors import DataError
from agentbench.sweep.store import RunStore, SystemRow, read_only_uri

# outcome_kind values written by the store
TESTS, CHOICE, VECTOR = "tests", "choice", "vector"

_QUERY = (
    "SELECT task, instance_id, system_hash, seed, status, outcome_kind, "
    "CASE outcome_kind WHEN 'tests' THEN json_extract(outcome, '$.passed') "
    "WHEN 'choice' THEN json_extract(outcome, '$.probs') ELSE NULL END, "
    "CASE outcome_kind WHEN 'choice' THEN json_extract(outcome, '$.target') ELSE NULL END, "
    "resolved, n_actions, length, attempts, error FROM samples"
)


@dataclass(frozen=True, eq=False)
class MissingRow:
    """One sample without an outcome because infrastructure failed (METHODS.md §2b)."""

    system_hash: str
    task: str
    instance_id: str
    seed: int
    attempts: int
    error: str


@dataclass(frozen=True, eq=False)
class Samples:
    """The finished samples of one outcome kind as parallel arrays (one entry per sample)."""

    kind: str
    system_hash: np.ndarray  # str objects
    question: np.ndarray  # str objects: instance id, prefixed "task/" when the run has >1 task
    seed: np.ndarray  # int64
    length: np.ndarray  # float64: METHODS.md §3 length, falling back to the action count
    outcome: list[list[float]]  # passed flags (tests) or probabilities (choice)
    target: np.ndarray  # int64 correct option (choice), -1 otherwise


@dataclass(frozen=True, eq=False)
class RunData:
    """Everything an analysis needs from one run folder."""

    run_dir: Path
    systems: list[SystemRow]
    by_kind: dict[str, Samples]
    missing: list[MissingRow]
    status_counts: dict[str, dict[str, int]]  # system hash -> status -> count
    n_samples: int


def _connect_ro(path: Path) -> sqlite3.Connection:
    """A read-only connection: analysis never writes to a store someone may be filling."""
    return sqlite3.connect(read_only_uri(path), uri=True, timeout=30.0)


def _parse_vectors(texts: list[str], run_dir: Path) -> list[list[float]]:
    """All outcome vectors at once: one json.loads over '[v1,v2,...]'."""
    if not texts:
        return []
    try:
        out = json.loads("[" + ",".join(texts) + "]")
    except json.JSONDecodeError:
        for i, t in enumerate(texts):  # find the culprit for the message
            try:
                json.loads(t)
            except json.JSONDecodeError:
                raise DataError(
                    f"outcome {i} is not valid JSON ({t[:40]!r})",
                    path=str(run_dir / "store.sqlite"),
                    field="samples.outcome",
                    fix="the store is corrupt; re-grade or re-run the sample",
                ) from None
        raise
    if len(out) != len(texts) or not all(isinstance(v, list) for v in out):
        raise DataError(
            "an outcome lacks its vector (passed or probs)",
            path=str(run_dir / "store.sqlite"),
            field="samples.outcome",
            fix="the store is corrupt; re-grade the affected samples",
        )
    return out


def load_run(run_dir: str | Path, *, task_prefix: bool | None = None) -> RunData:
    """Read the samples of a run folder; a folder without a readable store is a DataError.

    Question ids are instance ids, prefixed "task/" when `task_prefix` (default: only
    when the run holds more than one task).
    """
    rd = Path(run_dir)
    with RunStore.open(rd) as store:
        systems = store.systems()
        db = store.db_path
    try:
        conn = _connect_ro(db)
        try:
            rows = conn.execute(_QUERY).fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise DataError(
            f"cannot read the samples table ({exc})",
            path=str(db),
            fix="the store is corrupt or from another program",
        ) from None
    tasks = {r[0] for r in rows}
    prefix = len(tasks) > 1 if task_prefix is None else task_prefix
    status_counts: dict[str, dict[str, int]] = {}
    missing: list[MissingRow] = []
    cols: dict[str, list[tuple[object, ...]]] = {TESTS: [], CHOICE: [], VECTOR: []}
    for r in rows:
        task, inst, shash, seed, status, kind, vec, target, _res, n_act, length, att, err = r
        by = status_counts.setdefault(shash, {})
        by[status] = by.get(status, 0) + 1
        if status == "missing":
            missing.append(MissingRow(shash, task, inst, int(seed), int(att or 0), err or "?"))
        elif status == "done" and kind in cols:
            q = f"{task}/{inst}" if prefix else inst
            ln = float(n_act) if length is None else float(length)
            cols[kind].append((shash, q, int(seed), ln, vec, -1 if target is None else target))
    by_kind: dict[str, Samples] = {}
    for kind, items in cols.items():
        if not items:
            continue
        shash_c, q_c, seed_c, len_c, vec_c, tgt_c = zip(*items, strict=True)
        vectors = (
            _parse_vectors(list(vec_c), rd) if kind != VECTOR else [[] for _ in vec_c]
        )  # vector outcomes carry no target: the report lists them, never decomposes them
        by_kind[kind] = Samples(
            kind=kind,
            system_hash=np.asarray(shash_c, dtype=object),
            question=np.asarray(q_c, dtype=object),
            seed=np.asarray(seed_c, dtype=np.int64),
            length=np.asarray(len_c, dtype=np.float64),
            outcome=vectors,
            target=np.asarray(tgt_c, dtype=np.int64),
        )
    return RunData(
        run_dir=rd,
        systems=systems,
        by_kind=by_kind,
        missing=missing,
        status_counts=status_counts,
        n_samples=len(rows),
    )
