"""The server on 127.0.0.1 and the static export, through the real CLI and real HTTP."""

from __future__ import annotations

import os
import posixpath
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from agentbench.view import paths
from agentbench.view.export import MARKER, export_site
from agentbench.view.server import ViewServer
from agentbench.view.site import Site
from tests.view.runmaker import INST, TASK, DemoRun


def test_server_serves_pages_on_loopback_only(site: Site, demo: DemoRun) -> None:
    server = ViewServer(site, port=0).start()
    try:
        assert server.server_address[0] == "127.0.0.1"
        with httpx.Client(base_url=server.url, timeout=10) as c:
            r = c.get("/")
            assert r.status_code == 200 and "text/html" in r.headers["content-type"]
            assert "demo" in r.text
            r = c.get("/" + paths.instance(0, demo.alpha, TASK, INST))
            assert r.status_code == 200 and 'data-seed="3"' in r.text
            r = c.get("/r0/")  # a folder is its index page
            assert r.status_code == 200 and 'id="systems"' in r.text
            r = c.get("/no/such/page.html")
            assert r.status_code == 404 and "Traceback" not in r.text
            assert c.head("/").status_code == 200
            # a page asked for under another host name (DNS rebinding) is refused
            port = server.server_address[1]
            assert c.get("/", headers={"Host": f"evil.example:{port}"}).status_code == 421
            assert c.get("/", headers={"Host": f"localhost:{port}"}).status_code == 200
            # many requests reuse a bounded pool of threads (and so of SQLite connections)
            for _ in range(40):
                assert c.get("/" + paths.run(0)).status_code == 200
    finally:
        server.stop()
    assert len(site.runs[0].store._readers) <= 8


def _cli(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentbench.cli", *args],
        capture_output=True, text=True, timeout=120, **kw,  # type: ignore[call-overload]
    )  # fmt: skip


def test_cli_serves_until_interrupted(demo: DemoRun) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentbench.cli", "view", str(demo.run_dir), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        m = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        assert m, line + (proc.stderr.read() if proc.stderr else "")
        r = httpx.get(m.group(1) + paths.plot(0), timeout=10)
        assert r.status_code == 200 and "<svg" in r.text
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    assert proc.returncode in (0, 130)


def test_cli_export_writes_pages_that_link_to_each_other(demo: DemoRun, tmp_path: Path) -> None:
    out = tmp_path / "site"
    res = _cli("view", str(demo.run_dir), "--export", str(out))
    assert res.returncode == 0, res.stderr
    assert "pages" in res.stdout
    files = {p.relative_to(out).as_posix() for p in out.rglob("*.html")}
    assert paths.index() in files
    assert paths.trajectory(0, demo.keys[("alpha", 0)]) in files
    assert paths.divergence(0, demo.alpha, TASK, INST) in files
    for f in files:
        for link in re.findall(r'<a [^>]*href="([^"]+)"', (out / f).read_text(encoding="utf-8")):
            assert "://" not in link and not link.startswith("/"), (f, link)
            target = posixpath.normpath(posixpath.join(posixpath.dirname(f), link))
            assert target in files, (f, link)
    # exporting again replaces the earlier export (and only that)
    res = _cli("view", str(demo.run_dir), "--export", str(out))
    assert res.returncode == 0, res.stderr
    assert (out / MARKER).is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.")]


def test_export_skips_no_page(site: Site, tmp_path: Path) -> None:
    res = export_site(site, tmp_path / "out")
    assert res.errors == []
    assert res.n_pages == len(set(site.pages()))
