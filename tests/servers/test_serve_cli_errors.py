"""`agentbench serve scripted` on a taken or impossible port: one line, never a traceback."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.cli_run import cli_error


def _serve_fails(tmp_path: Path, port: int, code: int) -> str:
    """`agentbench serve scripted` with a minimal script must fail with `code`: its one line."""
    (tmp_path / "script.yaml").write_text("default: {text: hi}\n")
    return cli_error("serve", "scripted", "--script", "script.yaml", "--port", str(port),
                     cwd=tmp_path, code=code)  # fmt: skip


def test_a_taken_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = _serve_fails(tmp_path, port, code=3)
    assert f"--port: cannot listen on 127.0.0.1:{port}" in line


def test_a_port_out_of_range_is_one_line(tmp_path: Path) -> None:
    assert "--port: 99999 is not a port number" in _serve_fails(tmp_path, 99999, code=2)
