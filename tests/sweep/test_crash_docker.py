"""kill -9 (or Ctrl-C) an `agentbench run` of the real SWE-bench task (tiny suite, scripted model, real
Docker), resume it: each sample exactly once, and no container of either process remains."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from agentbench.records import SampleStatus
from agentbench.sweep.store import RunStore
from agentbench.trajectory import read_trajectory

from .conftest import TESTS_DIR
from .test_crash import _start, _wait_for

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TINY = TESTS_DIR / "fixtures" / "suites" / "agentbench-tiny"


def _containers_of(pids: set[int]) -> list[str]:
    from agentbench.sandbox import ownership
    from agentbench.sandbox.reaper import list_containers

    return [
        c["Id"][:12]
        for c in list_containers()
        if (c.get("Labels") or {}).get(ownership.PID) in {str(p) for p in pids}
    ]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_interrupt_resume_swebench(
    tmp_path: Path, docker_client: Any, base_image: str, sig: signal.Signals
) -> None:
    scripted = pytest.importorskip("agentbench.servers.scripted")
    from agentbench.records import ToolCall

    def respond(call: Any) -> Any:
        steps = sum(1 for m in call.messages if m.role == "assistant")
        if steps < 2:
            cmd = "sleep 0.5; ls"
            return scripted.Reply(
                text="look",
                tool_calls=[ToolCall(id=f"c{steps}", name="bash", arguments={"command": cmd})],
            )
        return scripted.Reply(
            text="done", tool_calls=[ToolCall(id="s", name="submit", arguments={})]
        )

    run = tmp_path / "run"
    with scripted.ScriptedServer(respond) as srv:
        doc = {
            "name": "crash-docker",
            "run_dir": str(run),
            "tasks": [{"kind": "swebench", "dataset": str(TINY), "test_timeout_s": 120}],
            "systems": [
                {
                    "name": "scripted",
                    "model": {
                        "provider": "scripted",
                        "name": "s",
                        "base_url": srv.base_url,
                        "max_retries": 0,
                    },
                    "scaffold": "bash-react",
                    "limits": {"max_steps": 5},
                }
            ],
            "seeds": 3,
            "concurrency": {"samples": 2},
            "retry": {"max_attempts": 2, "backoff_s": 0.5},
        }
        spec_path = tmp_path / "spec.yaml"
        spec_path.write_text(yaml.safe_dump(doc))
        proc = _start(spec_path)
        _wait_for(run, 2, proc, timeout=300)
        proc.send_signal(sig)
        proc.wait(60)
        orphans = _containers_of({proc.pid})  # sandboxes in flight at the kill, if any
        if sig == signal.SIGINT:
            assert proc.returncode == 130
            assert orphans == []  # Ctrl-C removes its own sandboxes before it exits
        with RunStore.open(run) as store:
            done_before = {k: store.get(k) for k in store.done_keys()}
        assert 2 <= len(done_before) < 6

        proc2 = _start(spec_path)
        try:
            _, stderr = proc2.communicate(timeout=400)
        except subprocess.TimeoutExpired:
            proc2.kill()
            raise
        assert proc2.returncode == 0, stderr.decode()[-2000:]

    with RunStore.open(run) as store:
        results = list(store.iter_results())
        assert len(results) == 6 and len({r.key.key for r in results}) == 6
        assert all(r.status == SampleStatus.DONE and r.n_actions == 3 for r in results), [
            (r.status, r.n_actions, r.error) for r in results
        ]
        for k, r in done_before.items():
            assert store.get(k) == r  # recorded before the kill: kept, not re-run
        files = sorted((run / "trajectories").rglob("*.jsonl"))
        assert files == sorted(run / r.trajectory_path for r in results)
        assert all(read_trajectory(p).end is not None for p in files)
    # the resumed run reaped the killed process's sandboxes and closed its own
    assert _containers_of({proc.pid, proc2.pid}) == [], orphans
