"""Rows of a data file someone else wrote (JSON, JSONL, CSV, Parquet) as dicts, within limits.

The one reader behind every dataset and table agentbench loads (SWE-bench instances, MC
questions, answer tables). JSON is parsed by Python only after safeio's size and nesting
check, since pyarrow's JSON reader recurses per level and a deep line crashes it. CSV cells
are all text ("007" stays an id) and an empty cell is None. Anything unreadable is one
DataError naming the file and, where there is one, the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentbench.errors import DataError
from agentbench.safeio import MAX_TOTAL_BYTES, InputLimitError, loads_json

SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv", ".parquet")
# keys under which a JSON document may hold its list of rows
_ROW_KEYS = ("data", "rows", "questions", "instances")


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Every row of one JSON, JSONL, CSV or Parquet file, each a dict."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(
            f"unknown file type {path.suffix or '(no suffix)'!r}", path=str(path),
            fix=f"name the file {', '.join(SUFFIXES)}",
        )  # fmt: skip
    if not path.is_file():
        raise DataError("file not found", path=str(path), fix="check the path")
    size = path.stat().st_size
    if size > MAX_TOTAL_BYTES:
        raise InputLimitError(
            f"{size:,} bytes, over the {MAX_TOTAL_BYTES:,}-byte limit", path=str(path),
            fix="split the file, or raise the limit (agentbench.safeio)",
        )  # fmt: skip
    try:
        if suffix == ".csv":
            import pandas as pd

            frame = pd.read_csv(path, dtype=object, keep_default_na=False)
            rows: Any = [
                {k: (None if v == "" else v) for k, v in r.items()}
                for r in frame.to_dict("records")
            ]
        elif suffix == ".parquet":
            import pyarrow.parquet as pq

            rows = pq.read_table(path).to_pylist()
        elif suffix == ".json":
            rows = loads_json(path.read_bytes(), source=str(path))
            if isinstance(rows, dict):
                rows = next((rows[k] for k in _ROW_KEYS if isinstance(rows.get(k), list)), rows)
        else:
            lines = enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            rows = [loads_json(ln, source=f"{path}: line {n}") for n, ln in lines if ln.strip()]
    except DataError:
        raise
    except UnicodeDecodeError as exc:
        raise DataError(
            f"not UTF-8 text ({exc.reason})", path=str(path), fix="re-export it as UTF-8"
        ) from None
    except (OSError, ValueError, NotImplementedError) as exc:  # pandas', pyarrow's and json's
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"cannot read the {suffix[1:]} file ({first})", path=str(path),
            fix="check the file is complete and in the format its suffix says",
        ) from None  # fmt: skip
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise DataError(
            "expected a list of objects, one per row", path=str(path),
            fix="write one JSON object per row",
        )  # fmt: skip
    return rows
