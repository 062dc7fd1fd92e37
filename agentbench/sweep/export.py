"""Export a run store as one table per level: samples, per-test outcomes, systems."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from agentbench.errors import make_dir
from agentbench.sweep.store import RunStore

Format = Literal["parquet", "csv"]


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
            "samples": store.to_arrow(),
            "tests": store.tests_arrow(),
            "systems": store.systems_arrow(),
        }
        paths = []
        for name, table in tables.items():
            dest = out / f"{name}.{fmt}"
            _write_atomic(table, dest, fmt)
            paths.append(dest)
        return paths
