"""`agentbench export`: one table per level, readable back; bad run folders are user errors."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from agentbench.cli import app
from agentbench.records import ExitStatus, SampleKey, SampleResult, SampleStatus, TestOutcome
from agentbench.store.export import export_run
from agentbench.store.runstore import RunStore
from tests.cli_run import cli_error

from .test_store import _system


def _fill(run: Path) -> None:
    sys_ = _system()
    with RunStore.create(run) as store:
        store.register_system(sys_)
        for seed in range(4):
            key = SampleKey(
                task="t",
                instance_id="i",
                system=sys_.name,
                system_hash=sys_.config_hash(),
                seed=seed,
            )
            passed = [True, seed % 2 == 0]
            store.put(
                SampleResult(
                    key=key,
                    status=SampleStatus.DONE,
                    outcome=TestOutcome(
                        tests=["f", "p"],
                        passed=passed,
                        fail_to_pass=["f"],
                        pass_to_pass=["p"],
                        resolved=all(passed),
                    ),
                    resolved=all(passed),
                    exit_status=ExitStatus.SUBMITTED,
                )
            )
        store.put(
            SampleResult(
                key=key.model_copy(update={"seed": 9}), status=SampleStatus.MISSING, error="x"
            )
        )


def test_export_parquet_tables(tmp_path: Path) -> None:
    run = tmp_path / "run"
    _fill(run)
    paths = export_run(run, tmp_path / "out")
    assert [p.name for p in paths] == ["samples.parquet", "tests.parquet", "systems.parquet"]
    samples = pq.read_table(tmp_path / "out" / "samples.parquet")
    tests = pq.read_table(tmp_path / "out" / "tests.parquet")
    assert samples.num_rows == 5
    assert tests.num_rows == 8  # 4 done samples × 2 tests; the missing one has no tests
    assert sum(tests.column("passed").to_pylist()) == 6
    assert set(tests.column("key").to_pylist()) <= set(samples.column("key").to_pylist())
    assert not list((tmp_path / "out").glob(".*tmp"))


def test_export_cli_and_bad_run(tmp_path: Path) -> None:
    run = tmp_path / "run"
    _fill(run)
    r = CliRunner().invoke(app, ["export", str(run), "--csv"])
    assert r.exit_code == 0, r.output
    assert (run / "export" / "tests.csv").read_text().count("\n") == 9
    r = CliRunner().invoke(app, ["export", str(tmp_path / "nope")])
    assert r.exit_code != 0


def test_export_to_an_unwritable_folder_is_one_line(tmp_path: Path) -> None:
    run = tmp_path / "run"
    _fill(run)
    (tmp_path / "blocker").write_text("a file where the output folder should go")
    out = tmp_path / "blocker" / "out"
    line = cli_error("export", str(run), "--out", str(out), cwd=tmp_path, code=3)
    assert "cannot create the output folder" in line and "pass a writable --out" in line
