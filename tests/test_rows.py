"""agentbench.rows: the one reader of data files gives the same rows from every format."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from agentbench.errors import DataError
from agentbench.rows import read_rows

ROWS = [
    {"id": "007", "question": "Which?", "answer": "B"},
    {"id": "008", "question": "Why, then?", "answer": None},
]


def _write(path: Path) -> Path:
    table = pa.Table.from_pylist(ROWS)
    if path.suffix == ".csv":
        pcsv.write_csv(table, path)
    elif path.suffix == ".parquet":
        pq.write_table(table, path)
    elif path.suffix == ".json":
        path.write_text(json.dumps({"rows": ROWS}))
    else:
        path.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n\n")
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json", ".jsonl", ".ndjson"])
def test_every_format_gives_the_same_rows(tmp_path: Path, suffix: str) -> None:
    # a CSV keeps "007" as text and reads an empty cell as None, like the typed formats
    assert read_rows(_write(tmp_path / f"t{suffix}")) == ROWS


@pytest.mark.parametrize(
    ("name", "text", "expect"),
    [
        ("t.txt", "x", "unknown file type '.txt'"),
        ("t.jsonl", '{"a": 1}\n\n{nope\n', "line 3: not valid JSON"),
        ("t.json", '{"rows": 3}', "expected a list of objects"),
        ("t.jsonl", "[1, 2]\n", "expected a list of objects"),
        ("t.parquet", "PAR1 not really", "cannot read the parquet file"),
        ("t.csv", "", "cannot read the csv file"),
        ("t.json", "[" * 300 + "]" * 300, "nested 300 levels deep"),
    ],
)
def test_a_bad_file_is_one_line_naming_it(
    tmp_path: Path, name: str, text: str, expect: str
) -> None:
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(DataError) as err:
        read_rows(p)
    assert expect in str(err.value) and str(p) in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(DataError, match="file not found"):
        read_rows(tmp_path / "missing.csv")
