"""Hostile run folders and clients: deep JSON, huge instance ids, read-only targets, idle sockets."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from agentbench.view import paths
from agentbench.view.runs import open_runs
from agentbench.view.server import ViewServer
from agentbench.view.site import Site
from tests.view.conftest import copy_run
from tests.view.runmaker import DemoRun

DEEP = "[" * 200_000 + "]" * 200_000


def test_a_deeply_nested_trajectory_line_is_an_error_page(demo: DemoRun, tmp_path: Path) -> None:
    run = copy_run(demo, tmp_path / "deep")
    runs = open_runs([run])
    try:
        key = demo.keys[("alpha", 1)]
        traj = run / runs[0].store.get(key).trajectory_path  # type: ignore[union-attr, operator]
        lines = traj.read_text().splitlines(keepends=True)
        lines[1] = '{"type": "action", "arguments": ' + DEEP + "}\n"
        traj.write_text("".join(lines))
        page = Site(runs).render(paths.trajectory(0, key))
        assert page.status == 422, page.body[:300]
        assert b"line 2" in page.body and b"levels deep, over the limit" in page.body
    finally:
        for r in runs:
            r.close()


def test_a_deeply_nested_outcome_in_the_store_is_an_error_page(
    demo: DemoRun, tmp_path: Path
) -> None:
    run = copy_run(demo, tmp_path / "deepstore")
    key = demo.keys[("beta", 0)]
    with sqlite3.connect(run / "store.sqlite") as c:
        c.execute("UPDATE samples SET outcome = ? WHERE key = ?", ('{"tests":' + DEEP + "}", key))
    runs = open_runs([run])
    try:
        page = Site(runs).render(paths.trajectory(0, key))
        assert page.status == 422, page.body[:300]
        assert b"outcome" in page.body and b"Traceback" not in page.body
    finally:
        for r in runs:
            r.close()


def _cli(*args: str, user: bool = False) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "agentbench.cli", "view", *args]
    if user:  # root ignores file modes: run as nobody to meet a read-only folder
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    env = {
        "PATH": "/usr/bin:/bin",
        "COLUMNS": "300",
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
    }
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)


def test_export_of_an_instance_id_too_long_for_a_file_name(demo: DemoRun, tmp_path: Path) -> None:
    run = copy_run(demo, tmp_path / "long")
    long_id = "!#$%&'()*+,.:;<=>?@[]^`{|}~" * 6  # 162 punctuation characters: ~490 encoded
    with sqlite3.connect(run / "store.sqlite") as c:
        c.execute("UPDATE samples SET instance_id = ?", (long_id,))
    out = tmp_path / "site"
    res = _cli(str(run), "--export", str(out))
    assert res.returncode == 0, res.stderr
    assert all(len(p.name.encode()) <= 255 for p in out.rglob("*"))
    pages = [p for p in out.rglob("*.html") if "/i/" in p.as_posix()]
    assert pages
    rel = pages[0].relative_to(out).as_posix()
    assert paths.parse(rel).instance == long_id  # type: ignore[union-attr]


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root to become nobody"
)
def test_export_into_a_read_only_folder_is_one_line(demo: DemoRun, tmp_path: Path) -> None:
    base = Path(os.environ.get("TMPDIR", "/tmp")) / f"agentbench-ro-{os.getpid()}"
    ro = base / "ro"
    ro.mkdir(parents=True)
    try:
        shutil.copytree(demo.run_dir, base / "run")
        os.chmod(ro, 0o555)
        for p in [base, *base.rglob("*")]:  # the run stays writable (SQLite WAL), only ro/ is not
            if p != ro:
                os.chmod(p, 0o777 if p.is_dir() else 0o666)
        res = _cli(str(base / "run"), "--export", str(ro / "site"), user=True)
        assert res.returncode == 3 and "Traceback" not in res.stderr, res.stderr
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and "cannot write the export" in lines[0], res.stderr
        assert list(ro.iterdir()) == []
    finally:
        shutil.rmtree(base)


def test_idle_connections_do_not_hang_the_viewer(site: Site) -> None:
    server = ViewServer(site, port=0, workers=2)
    server.idle_timeout_s = 0.5  # the default is seconds; a test needs less
    server.start()
    idle = []
    try:
        host, port = server.server_address[:2]
        for _ in range(8):  # more silent clients than workers
            idle.append(socket.create_connection((str(host), port)))
        with httpx.Client(base_url=server.url, timeout=20) as c:  # a hang, not a timing
            assert c.get("/").status_code == 200
    finally:
        for s in idle:
            s.close()
        server.stop()


def test_slow_drip_clients_do_not_hold_the_workers(site: Site) -> None:
    # slowloris: each client sends a byte of its head more often than the idle timeout, so
    # only the head deadline can free the worker it holds
    server = ViewServer(site, port=0, workers=2)
    server.idle_timeout_s = 2.0
    server.head_deadline_s = 1.0
    server.start()
    drips = []
    try:
        host, port = server.server_address[:2]
        for _ in range(2):  # as many dripping clients as workers
            s = socket.create_connection((str(host), port))
            s.sendall(b"GET / HTTP/1.0\r\nX-Drip: ")
            drips.append(s)
        stop = threading.Event()

        def drip() -> None:
            while not stop.wait(0.2):
                for s in drips:
                    with contextlib.suppress(OSError):  # cut by the server: as it should
                        s.sendall(b"a")

        t = threading.Thread(target=drip, daemon=True)
        t.start()
        try:
            with httpx.Client(base_url=server.url, timeout=30) as c:  # a hang, not a timing
                assert c.get("/").status_code == 200
            for s in drips:  # the server closed the slow connections
                s.settimeout(10)
                try:
                    got = s.recv(1024)
                except ConnectionResetError:  # it kept dripping into the closed socket
                    got = b""
                assert got == b""
        finally:
            stop.set()
            t.join()
    finally:
        for s in drips:
            s.close()
        server.stop()
