"""`agentbench demo` end to end without an API key: the embedded model's place taken by the scripted
server (AGENTBENCH_LOCAL_URL), one agentbench-mini instance, real Docker."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentbench.servers.scripted import ScriptedServer
from agentbench.servers.scripted.types import Reply, ScriptedCall
from agentbench.store.runstore import RunStore
from tests.cli_run import run_cli

pytestmark = pytest.mark.docker


def _look_then_submit(call: ScriptedCall) -> Reply:
    """One `ls`, then the sentinel (tiny-block; tiny-oneshot submits after the `ls` itself)."""
    looked = any(m.role == "assistant" for m in call.messages)
    return Reply(text="```bash\n" + ("echo DONE" if looked else "ls") + "\n```\n")


def test_demo_without_a_key_runs_the_local_model(tmp_path: Path) -> None:
    run = tmp_path / "run"
    with ScriptedServer(_look_then_submit) as srv:
        url = srv.base_url
        env = {"AGENTBENCH_LOCAL_URL": url, "OPENAI_API_KEY": "", "ANTHROPIC_API_KEY": ""}
        r = run_cli(
            "demo", "--set", "seeds=1", "--set", "tasks.0.instance_ids=[tinyops-1]",
            "--run-dir", str(run), "--no-progress", cwd=tmp_path, env=env, timeout=600,
        )  # fmt: skip
        n_calls = len(srv.calls)
    assert r.returncode == 0, r.stdout + r.stderr
    out = " ".join(r.stdout.split())
    assert f"model: SmolLM2-135M-Instruct (embedded, {url})" in out
    assert out.count("set OPENAI_API_KEY or ANTHROPIC_API_KEY") == 2  # before the run and after
    assert "smollm2-oneshot: 1/1 graded" in out and "smollm2-block: 1/1 graded" in out
    assert (run / "report" / "report.html").is_file()
    with RunStore.open(run) as store:
        assert store.count(status="done") == 2
    # both systems asked the server at AGENTBENCH_LOCAL_URL: oneshot once, block twice
    assert n_calls == 3
