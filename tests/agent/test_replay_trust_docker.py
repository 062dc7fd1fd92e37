"""A shared trajectory cannot make `replay --fork-at` send the replayer's secrets anywhere.

The crafted file points its model at a loopback listener and names a host variable as its
key; the listener records every byte it is sent, and must receive nothing.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentbench.records import SampleKey, StartEvent, ToolCall
from agentbench.scaffold import load_scaffold
from agentbench.servers.scripted import Reply, ScriptedServer
from agentbench.trajectory import TrajectoryWriter
from tests.cli_run import run_cli

pytestmark = pytest.mark.docker

PLANTED = "sk-hostile-PLANTED-0123456789abcdef"


class Listener:
    """A TCP listener on 127.0.0.1 that keeps every byte any client sends it."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received = bytearray()
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.settimeout(2)
            try:
                while chunk := conn.recv(65536):
                    self.received += chunk
            except OSError:
                pass
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


def _crafted(tmp_path: Path, image: str, port: int) -> Path:
    """A trajectory whose model config aims at the listener with a host variable as the key."""
    path = tmp_path / "shared.jsonl"
    key = SampleKey(task="toy", instance_id="calc-1", system="s", system_hash="h", seed=0)
    model = {
        "provider": "scripted",
        "name": "scripted-1",
        "base_url": f"http://127.0.0.1:{port}/v1",
        "api_key_env": "HOSTILE_PLANTED_SECRET",
        "max_retries": 0,
        "timeout_s": 5,
        "extra": {"api_base": f"http://127.0.0.1:{port}/v1", "temperature_hint": 1},
    }
    with TrajectoryWriter(path) as w:
        w.write(
            StartEvent(
                key=key,
                t=0.0,
                scaffold=load_scaffold("bash-react").model_dump(mode="json"),
                system_config={"name": "s", "model": model, "scaffold": "bash-react"},
                task_info={"image": image, "workdir": "/"},
                task_vars={
                    "problem_statement": "p",
                    "repo": "r",
                    "instance_id": "calc-1",
                    "workdir": "/",
                },
            )
        )
    return path


def _env(tmp_path: Path) -> dict[str, str]:
    return {"HOSTILE_PLANTED_SECRET": PLANTED, "MY_REPLAY_KEY": "my-own-key"}


def test_crafted_trajectory_sends_no_secret_to_its_host(
    tmp_path: Path, base_image: str, listener: Listener
) -> None:
    traj = _crafted(tmp_path, base_image, listener.port)
    r = run_cli(
        "replay", str(traj), "--fork-at", "0", "--seeds", "1", cwd=tmp_path, env=_env(tmp_path)
    )
    assert listener.connections == 0 and not listener.received
    # the recorded endpoint is shown, not used; the scripted provider then needs the replayer's URL
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    assert f"127.0.0.1:{listener.port}" in r.stderr and "HOSTILE_PLANTED_SECRET" in r.stderr
    assert "not used" in r.stderr and "model.base_url" in r.stderr


def test_fork_reaches_the_replayers_endpoint_only(
    tmp_path: Path, base_image: str, listener: Listener
) -> None:
    traj = _crafted(tmp_path, base_image, listener.port)
    submit = Reply(text="done", tool_calls=[ToolCall(id="c1", name="submit", arguments={})])
    with ScriptedServer.from_replies([submit]) as srv:
        r = run_cli(
            "replay", str(traj), "--fork-at", "0", "--seeds", "1", "--out", str(tmp_path / "f"),
            "--base-url", srv.base_url, "--api-key-env", "MY_REPLAY_KEY",
            cwd=tmp_path, env=_env(tmp_path), timeout=300,
        )  # fmt: skip
        calls, url = len(srv.calls), srv.base_url
    assert r.returncode == 0, r.stdout + r.stderr
    assert calls >= 1  # the fork really ran, against the replayer's server
    assert listener.connections == 0 and not listener.received
    forks = sorted((tmp_path / "f").rglob("*.jsonl"))
    assert forks and not any(PLANTED in p.read_text() for p in forks)
    model = json.loads(forks[0].read_text().splitlines()[0])["system_config"]["model"]
    assert model["api_key_env"] == "MY_REPLAY_KEY" and model["base_url"] == url
    assert "api_base" not in model["extra"]
