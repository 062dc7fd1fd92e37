"""`agentbench serve scripted` on a taken or impossible port: one line, never a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path


def _serve(tmp_path: Path, port: int) -> subprocess.CompletedProcess[str]:
    """Run the real entry point with a minimal script."""
    (tmp_path / "script.yaml").write_text("default: {text: hi}\n")
    return subprocess.run(
        [sys.executable, "-m", "agentbench.cli", "serve", "scripted",
         "--script", "script.yaml", "--port", str(port)],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip


def _one_line(r: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line (asserting there is one and no traceback)."""
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    return " ".join(r.stderr.split())


def test_a_taken_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = _serve(tmp_path, port)
    assert r.returncode == 3, r.stderr
    assert f"--port: cannot listen on 127.0.0.1:{port}" in _one_line(r)


def test_a_port_out_of_range_is_one_line(tmp_path: Path) -> None:
    r = _serve(tmp_path, 99999)
    assert r.returncode == 2, r.stderr
    assert "--port: 99999 is not a port number" in _one_line(r)
