"""Export a run store as one table per level: samples, per-test outcomes, systems."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from agentbench.errors import make_dir
from agentbench.records import SampleStatus
from agentbench.safeio import loads_json
from agentbench.store.queries import TABLE_COLUMNS
from agentbench.store.runstore import RunStore
from agentbench.store.schema import TESTS

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

Format = Literal["parquet", "csv"]


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


def samples_table(store: RunStore, **filters: Any) -> pa.Table:
    """Samples as a pyarrow Table (outcome as JSON text), one column per store column."""
    import pyarrow as pa

    rows = store.table_rows(**filters)
    types = _arrow_types(pa)
    data = {c: [r[i] for r in rows] for i, c in enumerate(TABLE_COLUMNS)}
    data["resolved"] = [None if v is None else bool(v) for v in data["resolved"]]
    return pa.table({c: pa.array(data[c], type=types[c]) for c in TABLE_COLUMNS})


def samples_frame(store: RunStore, **filters: Any) -> pd.DataFrame:
    """Samples as a pandas DataFrame: unknown cost is NaN (never 0), `resolved` is a nullable
    boolean, integer columns are nullable Int64."""
    import pandas as pd
    import pyarrow as pa

    mapping = {pa.bool_(): pd.BooleanDtype(), pa.int64(): pd.Int64Dtype()}
    return samples_table(store, **filters).to_pandas(types_mapper=mapping.get)


def systems_table(store: RunStore) -> pa.Table:
    """The systems table: hash, name, config JSON."""
    import pyarrow as pa

    rows = store.system_configs()
    return pa.table(
        {
            "system_hash": pa.array([r[1] for r in rows], pa.string()),
            "system_name": pa.array([r[0] for r in rows], pa.string()),
            "config": pa.array([r[2] for r in rows], pa.string()),
        }
    )


def per_test_table(store: RunStore, **filters: Any) -> pa.Table:
    """Per-test outcomes, one row per (sample key, test): passed, and which list it is in."""
    import pyarrow as pa

    keys: list[str] = []
    tests: list[str] = []
    passed: list[bool] = []
    f2p: list[bool] = []
    done = {**filters, "status": SampleStatus.DONE, "outcome_kind": TESTS}
    for key, blob in store.iter_outcomes(**done):
        o = loads_json(blob, source=f"{store.db_path}: samples[{key}].outcome")
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


def _write_atomic(table: object, dest: Path, fmt: Format) -> None:
    """Write to a temporary name and rename, so a crash never leaves half a table."""
    tmp = dest.with_name(f".{dest.name}.tmp")
    if fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, tmp)  # type: ignore[arg-type]
    else:
        import pyarrow.csv as pcsv

        pcsv.write_csv(table, tmp)  # type: ignore[arg-type]
    os.replace(tmp, dest)


def export_run(
    run_dir: str | Path, out_dir: str | Path | None = None, fmt: Format = "parquet"
) -> list[Path]:
    """Write samples, tests and systems tables of a run; returns the paths written."""
    with RunStore.open(run_dir) as store:
        out = Path(out_dir) if out_dir is not None else store.run_dir / "export"
        make_dir(out, what="the output folder", fix="pass a writable --out")
        tables = {
            "samples": samples_table(store),
            "tests": per_test_table(store),
            "systems": systems_table(store),
        }
        paths = []
        for name, table in tables.items():
            dest = out / f"{name}.{fmt}"
            _write_atomic(table, dest, fmt)
            paths.append(dest)
        return paths
