"""A run folder on a read-only mount (a shared archive): every reader works, writers say where to write.

SQLite cannot create a WAL index (-shm) there, so every read used to fail with "unable to open
database file" and the folder was called corrupt.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentbench.importers.table import import_table
from agentbench.sweep.store import RunStore
from tests.cli_run import run_cli
from tests.importers.test_table_import import _csv


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(src, view): `view` is a read-only bind mount of `src`."""
    if os.geteuid() != 0:
        pytest.skip("needs root to bind-mount a folder read-only")
    src, view = tmp_path / "src", tmp_path / "ro"
    src.mkdir()
    view.mkdir()
    if subprocess.run(["mount", "--bind", str(src), str(view)], capture_output=True).returncode:
        pytest.skip("cannot bind-mount here")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True)
        yield src, view
    finally:
        subprocess.run(["umount", str(view)], check=False)


def test_readers_work_on_a_read_only_mount(read_only: tuple[Path, Path], tmp_path: Path) -> None:
    src, view = read_only
    import_table(src / "run", _csv(tmp_path), options=4)
    run = view / "run"
    with pytest.raises(OSError):
        (view / "probe").write_text("x")  # really read-only
    with RunStore.open(run) as store:
        assert store.stats().by_status == {"done": 18}
    env = {"COLUMNS": "200"}
    for args, made in (
        (("report", str(run), "--out", str(tmp_path / "rep")), tmp_path / "rep" / "report.html"),
        (("view", str(run), "--export", str(tmp_path / "site")), tmp_path / "site" / "index.html"),
        (("export", str(run), "--out", str(tmp_path / "x")), tmp_path / "x" / "samples.parquet"),
        (("mc", "report", str(run), "--out", str(tmp_path / "mc"), "--boot", "20"), None),
    ):
        r = run_cli(*args, cwd=tmp_path, env=env)
        assert r.returncode == 0, (args, r.stderr)
        assert made is None or made.is_file()
    # where a command would write into the folder, it says so in one line
    r = run_cli("report", str(run), cwd=tmp_path, env=env)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "Read-only file system" in r.stderr and "--out" in r.stderr


def test_unmerged_writes_on_a_read_only_mount_are_refused(
    read_only: tuple[Path, Path], tmp_path: Path
) -> None:
    src, view = read_only
    import_table(tmp_path / "run", _csv(tmp_path), options=4)
    # a copy taken while a writer held the store: its last commits are still in the -wal file
    writer = sqlite3.connect(tmp_path / "run" / "store.sqlite")
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("INSERT INTO meta VALUES ('late', '1')")
    writer.commit()
    shutil.copytree(tmp_path / "run", src / "run")
    writer.close()
    assert (src / "run" / "store.sqlite-wal").stat().st_size > 0
    r = run_cli("report", str(view / "run"), "--out", str(tmp_path / "rep"), cwd=tmp_path)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    line = r.stderr.strip()
    assert "\n" not in line and "writes not yet merged (store.sqlite-wal)" in line
    assert "copy the run folder somewhere writable" in line
