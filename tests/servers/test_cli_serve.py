"""`agentbench serve scripted` as a user runs it: a real process, a real client."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import openai
import pytest
from typer.testing import CliRunner

from agentbench.servers.embedded.process import free_port


def _agentbench(*args: str, **kw: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "agentbench.cli", *args],
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kw,
    )  # type: ignore[call-overload]


def test_serve_scripted_answers_real_clients(tmp_path: Path) -> None:
    script = tmp_path / "s.yaml"
    script.write_text('rules:\n  - match: ping\n    reply: {text: pong}\ndefault: {text: "what"}\n')
    port = free_port()
    proc = _agentbench("serve", "scripted", "--script", str(script), "--port", str(port))
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"127.0.0.1:{port}" in line, proc.stderr.read() if proc.stderr else ""
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="k", max_retries=0)
        out = client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "ping"}]
        )
        assert out.choices[0].message.content == "pong"
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_scripted_bad_script_is_one_line_error(tmp_path: Path) -> None:
    script = tmp_path / "bad.yaml"
    script.write_text("rules: [{match: x}]\n")
    proc = _agentbench(
        "serve",
        "scripted",
        "--script",
        str(script),
        "--port",
        str(free_port()),
        env={**os.environ, "COLUMNS": "300"},
    )
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    lines = [x for x in err.strip().splitlines() if x]
    assert len(lines) == 1 and "bad.yaml" in lines[0] and "rules.0.reply" in lines[0]
    assert "Traceback" not in err


def test_serve_local_help_says_it_is_tiny() -> None:
    from agentbench.commands.serve import app

    result = CliRunner().invoke(app, ["local", "--help"])
    assert result.exit_code == 0
    assert "rarely" in result.output and "135M" in result.output


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None, reason="the 'local' extra is not installed"
)
def test_serve_local_serves_and_sigterm_stops_the_model_process() -> None:
    port = free_port()
    proc = _agentbench("serve", "local", "--port", str(port), "--n-ctx", "512")
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        assert any(f"127.0.0.1:{port}/v1" in x for x in lines), lines
        assert any("rarely solve" in x for x in lines)
        models = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=10).json()
        assert models["data"][0]["id"] == "smollm2-135m-instruct"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert proc.returncode == 0
    with pytest.raises(httpx.ConnectError):  # the llama.cpp child went with it
        httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2)
