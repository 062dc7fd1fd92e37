"""Bad input: not a run store, a newer store, a corrupt trajectory, an occupied export folder."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from agentbench.errors import DataError
from agentbench.view import paths
from agentbench.view.runs import open_runs
from agentbench.view.site import Site
from tests.view.conftest import copy_run
from tests.view.runmaker import INST, TASK, DemoRun


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentbench.cli", "view", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "300"},
    )


def _one_line_error(res: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def test_a_folder_that_is_not_a_run_store(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    _one_line_error(_cli(str(tmp_path), "--port", "0"), str(tmp_path), "no run store")
    _one_line_error(_cli(str(tmp_path / "absent")), "absent", "not a folder")


def test_a_store_from_a_newer_version(demo: DemoRun, tmp_path: Path) -> None:
    run = copy_run(demo, tmp_path / "newer")
    with sqlite3.connect(run / "store.sqlite") as c:
        c.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    _one_line_error(_cli(str(run)), "store.sqlite", "newer", "upgrade agentbench")


def test_a_store_file_that_is_not_sqlite(tmp_path: Path) -> None:
    run = tmp_path / "garbage"
    run.mkdir()
    (run / "store.sqlite").write_bytes(b"this is not a database" * 100)
    _one_line_error(_cli(str(run)), "store.sqlite", "not a readable run store")
    with pytest.raises(DataError):
        open_runs([run])


def test_a_bad_run_among_good_ones_fails_before_serving(demo: DemoRun, tmp_path: Path) -> None:
    _one_line_error(_cli(str(demo.run_dir), str(tmp_path)), str(tmp_path))


def test_a_corrupt_trajectory_is_an_error_page_not_a_traceback(
    demo: DemoRun, tmp_path: Path
) -> None:
    run = copy_run(demo, tmp_path / "corrupt")
    runs = open_runs([run])
    try:
        site = Site(runs)
        key = demo.keys[("alpha", 1)]
        traj = run / runs[0].store.get(key).trajectory_path  # type: ignore[union-attr, operator]
        lines = traj.read_text().splitlines(keepends=True)
        lines[2] = '{"type": "action", <script>alert(1)</script>\n'
        traj.write_text("".join(lines))
        page = site.render(paths.trajectory(0, key))
        body = page.body.decode()
        assert page.status == 422
        assert "line 3: invalid JSON" in body and traj.name in body
        assert "<script>" not in body and "Traceback" not in body
        # the rest of the instance still shows; the divergence view names the bad seed
        assert site.render(paths.instance(0, demo.alpha, TASK, INST)).status == 200
        div = site.render(paths.divergence(0, demo.alpha, TASK, INST))
        assert div.status == 200
        assert b"line 3: invalid JSON" in div.body
        # a torn last line (crash mid-write) is tolerated and said so
        key0 = demo.keys[("alpha", 0)]
        t0 = run / runs[0].store.get(key0).trajectory_path  # type: ignore[union-attr, operator]
        t0.write_text(t0.read_text() + '{"type": "obs')
        torn = site.render(paths.trajectory(0, key0))
        assert torn.status == 200 and b"cut off mid-write" in torn.body
        # a trajectory written by a newer agentbench
        key3 = demo.keys[("alpha", 3)]
        t3 = run / runs[0].store.get(key3).trajectory_path  # type: ignore[union-attr, operator]
        t3.write_text(t3.read_text().replace('"schema_version":1', '"schema_version":99', 1))
        newer = site.render(paths.trajectory(0, key3))
        assert newer.status == 422 and b"newer than this agentbench" in newer.body
    finally:
        for r in runs:
            r.close()


def test_a_trajectory_path_outside_the_run_is_refused(demo: DemoRun, tmp_path: Path) -> None:
    run = copy_run(demo, tmp_path / "escape")
    key = demo.keys[("beta", 0)]
    with sqlite3.connect(run / "store.sqlite") as c:
        c.execute("UPDATE samples SET trajectory_path = '../../etc/passwd' WHERE key = ?", (key,))
    runs = open_runs([run])
    try:
        page = Site(runs).render(paths.trajectory(0, key))
        assert page.status == 422 and b"outside the run folder" in page.body
    finally:
        for r in runs:
            r.close()


def test_a_port_in_use_is_one_line(demo: DemoRun) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        res = _cli(str(demo.run_dir), "--port", str(s.getsockname()[1]))
    assert res.returncode == 3 and "Traceback" not in res.stderr
    assert "--port" in res.stderr and "cannot listen" in res.stderr


def test_export_refuses_a_folder_with_other_files(demo: DemoRun, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    _one_line_error(_cli(str(demo.run_dir), "--export", str(out)), "--export", "not an earlier")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
