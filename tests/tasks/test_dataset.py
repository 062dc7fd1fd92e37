"""Loading SWE-bench rows from local files in the public schema, suites and the (offline) hub."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentbench.errors import ConfigError, DataError, EnvironmentProblem
from agentbench.tasks.swebench.dataset import load_dataset, parse_slice, select


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    if path.suffix == ".json":
        path.write_text(json.dumps(rows))
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    return path


@pytest.mark.parametrize("suffix", [".json", ".jsonl", ".parquet"])
def test_local_file_in_public_schema(
    tmp_path: Path, rows: list[dict[str, Any]], suffix: str
) -> None:
    ds = load_dataset(str(_write(tmp_path / f"data{suffix}", rows)))
    assert [i.instance_id for i in ds.instances] == [r["instance_id"] for r in rows]
    first = ds.instances[0]
    assert first.FAIL_TO_PASS == ["tests/test_a.py::test_1"]
    assert first.PASS_TO_PASS == ["tests/test_a.py::test_ok", "tests/test_a.py::test_ok2"]
    assert first.tests == [*first.FAIL_TO_PASS, *first.PASS_TO_PASS]
    assert ds.suite is None


def test_lists_may_be_real_lists_and_extras_are_kept(
    tmp_path: Path, rows: list[dict[str, Any]]
) -> None:
    rows[0]["FAIL_TO_PASS"] = ["t::a"]
    rows[0]["difficulty"] = "<15 min fix"
    rows[0]["unknown_column"] = 1  # hub variants add columns; they are ignored
    ds = load_dataset(str(_write(tmp_path / "d.jsonl", rows)))
    assert ds.instances[0].FAIL_TO_PASS == ["t::a"]
    assert ds.instances[0].difficulty == "<15 min fix"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda r: r.pop("base_commit"), "base_commit"),
        (lambda r: r.update(FAIL_TO_PASS="[not json"), "FAIL_TO_PASS"),
        (lambda r: r.update(PASS_TO_PASS=json.dumps({"a": 1})), "PASS_TO_PASS"),
        (lambda r: r.update(instance_id=""), "instance_id"),
        (lambda r: r.update(patch=None), "patch"),
    ],
)
@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_bad_row_names_file_row_and_field(
    tmp_path: Path, rows: list[dict[str, Any]], mutate: Any, field: str, suffix: str
) -> None:
    mutate(rows[1])
    path = _write(tmp_path / f"bad{suffix}", rows)
    with pytest.raises(DataError) as ei:
        load_dataset(str(path))
    msg = str(ei.value)
    assert str(path) in msg and "row 2" in msg and f"field {field}" in msg
    assert "\n" not in msg


def test_bad_row_in_parquet(tmp_path: Path, rows: list[dict[str, Any]]) -> None:
    for r in rows:
        r["FAIL_TO_PASS"] = "oops"
    path = _write(tmp_path / "bad.parquet", rows)
    with pytest.raises(DataError, match=r"row 1 .*field FAIL_TO_PASS"):
        load_dataset(str(path))


def test_corrupt_files(tmp_path: Path, rows: list[dict[str, Any]]) -> None:
    p = tmp_path / "c.jsonl"
    p.write_text(json.dumps(rows[0]) + "\n{broken\n")
    with pytest.raises(DataError, match="line 2: not valid JSON"):
        load_dataset(str(p))
    q = tmp_path / "c.parquet"
    q.write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match="cannot read the parquet file"):
        load_dataset(str(q))
    j = tmp_path / "c.json"
    j.write_text(json.dumps({"rows": 3}))
    with pytest.raises(DataError, match="expected a list of objects"):
        load_dataset(str(j))
    with pytest.raises(DataError, match="file not found"):
        load_dataset(str(tmp_path / "missing.jsonl"))


def test_duplicate_ids(tmp_path: Path, rows: list[dict[str, Any]]) -> None:
    rows[2]["instance_id"] = rows[0]["instance_id"]
    with pytest.raises(DataError, match=r"row 3: field instance_id: .* repeats row 1"):
        load_dataset(str(_write(tmp_path / "d.jsonl", rows)))


@pytest.mark.parametrize(
    "name", ["princeton-nlp/SWE-bench_Lite", "verified", "princeton-nlp/SWE-bench"]
)
def test_hub_offline_is_one_clear_line(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    with pytest.raises(EnvironmentProblem) as ei:
        load_dataset(name)
    msg = str(ei.value)
    assert "Hugging Face hub" in msg and "SWE-bench" in msg and "\n" not in msg


def test_unknown_dataset_name() -> None:
    with pytest.raises(ConfigError, match="unknown dataset"):
        load_dataset("no-such-suite")


def test_suite_by_path(tiny_suite: Path) -> None:
    ds = load_dataset(str(tiny_suite))
    assert ds.suite is not None and ds.source == "agentbench-tiny"
    assert [i.instance_id for i in ds.instances] == ["calc-1", "calc-2"]
    assert ds.suite.repo_spec(ds.instances[0].repo).log_parser == "pytest"
    assert ds.suite.history_patches("agentbench-tiny/calc")[0].name.startswith("0001-")


def test_selection(tmp_path: Path, rows: list[dict[str, Any]]) -> None:
    insts = load_dataset(str(_write(tmp_path / "d.jsonl", rows))).instances
    ids = [i.instance_id for i in insts]
    assert [i.instance_id for i in select(insts, ids=[ids[2], ids[0]])] == [ids[2], ids[0]]
    assert [i.instance_id for i in select(insts, pattern="django|sympy")] == ids[1:]
    assert [i.instance_id for i in select(insts, slice_="1:")] == ids[1:]
    a = [i.instance_id for i in select(insts, shuffle_seed=3)]
    b = [i.instance_id for i in select(insts, shuffle_seed=3)]
    assert a == b and sorted(a) == sorted(ids)
    with pytest.raises(ConfigError, match="not in the dataset"):
        select(insts, ids=["nope"])
    with pytest.raises(ConfigError, match="bad regex"):
        select(insts, pattern="(")
    with pytest.raises(ConfigError, match="bad slice"):
        select(insts, slice_="x")


@settings(max_examples=50, deadline=None)
@given(st.integers(-5, 5), st.integers(-5, 5), st.integers(1, 3))
def test_parse_slice_matches_python(a: int, b: int, c: int) -> None:
    seq = list(range(7))
    assert seq[parse_slice(f"{a}:{b}:{c}")] == seq[a:b:c]
    assert seq[parse_slice(f":{b}")] == seq[:b]


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_deeply_nested_rows_are_refused_in_one_line(tmp_path: Path, suffix: str) -> None:
    # json.loads raised RecursionError (a traceback) on this before the nesting cap
    from agentbench.safeio import InputLimitError

    p = tmp_path / f"deep{suffix}"
    p.write_text("[" * 200_000 + "]" * 200_000 + "\n")
    with pytest.raises(InputLimitError, match="nested 200000 levels deep") as err:
        load_dataset(str(p))
    assert "\n" not in str(err.value) and str(p) in str(err.value)
