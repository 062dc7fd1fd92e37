"""Cleanup that cannot be skipped: SIGKILLed owners, the reaper, signals, a missing engine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from agentbench.errors import EnvironmentProblem, InfraError
from agentbench.sandbox import client as client_mod
from agentbench.sandbox import ownership
from agentbench.sandbox.docker import DockerSandbox
from agentbench.sandbox.reaper import reap

pytestmark = pytest.mark.docker

_CHILD = textwrap.dedent(
    """
    import sys, time
    from agentbench.sandbox.docker import DockerSandbox
    boxes = [DockerSandbox(sys.argv[1], run_id=sys.argv[2]) for _ in range(2)]
    print(" ".join(b.id for b in boxes), flush=True)
    boxes[0].exec("sleep 1000", timeout=1000)
    """
)


def _run_containers(client, run_id: str) -> list[str]:
    found = client.api.containers(all=True, filters={"label": f"{ownership.RUN}={run_id}"})
    return [c["Id"] for c in found]


def _wait_gone(client, run_id: str, seconds: float = 15.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while (left := _run_containers(client, run_id)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def _spawn_owner(base_image: str, run_id: str) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, base_image, run_id], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    ids = proc.stdout.readline().split()
    if len(ids) != 2:
        proc.kill()
        proc.wait()
        pytest.fail(f"child did not start its sandboxes: {ids}")
    return proc, ids


def test_sigkilled_owner_leaves_nothing_after_prune(
    base_image: str, docker_client, run_id: str
) -> None:
    proc, ids = _spawn_owner(base_image, run_id)
    assert set(_run_containers(docker_client, run_id)) == set(ids)
    time.sleep(0.5)  # mid-run: one sandbox is inside `sleep 1000`
    proc.kill()
    proc.wait()
    reap(docker_client)
    assert _wait_gone(docker_client, run_id) == []


def test_reaper_removes_only_containers_whose_owner_is_gone(
    base_image: str, docker_client, run_id: str
) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    labels_dead = ownership.owner_labels(run_id) | {
        ownership.PID: str(dead.pid),
        ownership.PID_START: "1",
    }
    labels_reused = ownership.owner_labels(run_id) | {ownership.PID_START: "1"}  # pid reused
    labels_live = ownership.owner_labels(run_id)
    made = {}
    for name, labels in (("dead", labels_dead), ("reused", labels_reused), ("live", labels_live)):
        made[name] = docker_client.api.create_container(
            base_image, command=["sleep", "infinity"], labels=labels
        )["Id"]
    try:
        removed = reap(docker_client)
        assert made["dead"][:12] in removed and made["reused"][:12] in removed
        assert made["live"][:12] not in removed
        assert _run_containers(docker_client, run_id) == [made["live"]]
    finally:
        for cid in made.values():
            docker_client.api.remove_container(cid, force=True) if _exists(
                docker_client, cid
            ) else None


def test_next_start_up_reaps_orphans(base_image: str, docker_client, run_id: str) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    labels = ownership.owner_labels(run_id) | {
        ownership.PID: str(dead.pid),
        ownership.PID_START: "1",
    }
    orphan = docker_client.api.create_container(
        base_image, command=["sleep", "infinity"], labels=labels
    )["Id"]
    docker_client.api.start(orphan)
    code = (
        "import sys\nfrom agentbench.sandbox.docker import DockerSandbox\n"
        "DockerSandbox(sys.argv[1], run_id='other-' + sys.argv[2]).close()\n"
    )
    try:
        subprocess.run([sys.executable, "-c", code, base_image, run_id], check=True, timeout=60)
        assert not _exists(docker_client, orphan)
    finally:
        if _exists(docker_client, orphan):
            docker_client.api.remove_container(orphan, force=True)


def _exists(client, cid: str) -> bool:
    return any(c["Id"] == cid for c in client.api.containers(all=True))


def test_cli_prune_removes_orphans_and_with_all_a_live_run(
    base_image: str, docker_client, run_id: str
) -> None:
    live = DockerSandbox(base_image, run_id=run_id, client=docker_client)  # start-up reap first
    dead = subprocess.Popen(["true"])
    dead.wait()
    labels = ownership.owner_labels(run_id) | {ownership.PID: str(dead.pid)}
    orphan = docker_client.api.create_container(base_image, command=["true"], labels=labels)["Id"]
    cli = [sys.executable, "-m", "agentbench.cli", "sandbox", "prune"]
    try:
        out = subprocess.run([*cli, "--images"], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert orphan[:12] in out.stdout and live.id[:12] not in out.stdout
        assert _run_containers(docker_client, run_id) == [live.id]
        out = subprocess.run(
            [*cli, "--all", "--run", run_id], capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 0 and live.id[:12] in out.stdout
        assert _wait_gone(docker_client, run_id, 5) == []
    finally:
        live.close()
        if _exists(docker_client, orphan):
            docker_client.api.remove_container(orphan, force=True)


_SLEEPER = """
import signal, sys, time
from agentbench.sandbox.docker import DockerSandbox
signal.signal(signal.SIGINT, signal.default_int_handler)  # a job started with `&` ignores it
sb = DockerSandbox(sys.argv[1], run_id=sys.argv[2])
try:
    print(sb.id, flush=True)  # inside the try: the test signals as soon as it reads this
    time.sleep(60)
except KeyboardInterrupt:
    print("alive=" + str(sb._closed), flush=True)  # the handler closed it before the exception
    sys.exit(7)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_close_sandboxes_then_take_their_course(
    base_image: str, docker_client, run_id: str, sig: signal.Signals
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLEEPER, base_image, run_id], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip()
    proc.send_signal(sig)
    code = proc.wait(30)
    if sig == signal.SIGTERM:
        assert code == -signal.SIGTERM  # the default action still happens
    else:
        assert code == 7 and proc.stdout.read() == "alive=True\n"  # KeyboardInterrupt raised
    assert _run_containers(docker_client, run_id) == []  # removed by the handler, not later


def test_close_is_idempotent_and_a_closed_sandbox_refuses_work(
    base_image: str, docker_client, run_id: str
) -> None:
    sb = DockerSandbox(base_image, run_id=run_id, client=docker_client)
    sb.close()
    sb.close()
    assert _run_containers(docker_client, run_id) == []
    with pytest.raises(InfraError, match="sandbox_closed"):
        sb.exec("true")


def test_missing_image_is_an_infra_error(docker_client, run_id: str) -> None:
    with pytest.raises(InfraError, match="sandbox_image"):
        DockerSandbox("agentbench-no-such-image:0", run_id=run_id, client=docker_client)
    assert _run_containers(docker_client, run_id) == []


def test_image_without_bash_is_an_infra_error_naming_the_cause(
    base_image: str, docker_client, run_id: str
) -> None:
    from agentbench.sandbox.images import build_layer

    tag = build_layer(
        base_image, kind="test", name="nobash", dockerfile="RUN rm -f /bin/bash /usr/bin/bash\n",
        client=docker_client,
    )  # fmt: skip
    try:
        with pytest.raises(InfraError, match="bash"):
            DockerSandbox(tag, run_id=run_id, client=docker_client)
        assert _wait_gone(docker_client, run_id, 5) == []
    finally:
        docker_client.api.remove_image(tag, force=True)


def test_no_engine_is_one_line_environment_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_mod, "_clients", {})
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(EnvironmentProblem) as info:
        client_mod.docker_client()
    message = str(info.value)
    assert "\n" not in message and "unix:///nonexistent/docker.sock" in message
    assert "ensure-docker.sh" in message


def test_cli_without_engine_prints_one_line_and_fails() -> None:
    env = os.environ | {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    for args in (["ls"], ["prune"], ["build"]):
        proc = subprocess.run(
            [sys.executable, "-m", "agentbench.cli", "sandbox", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 3, proc.stderr
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "no Docker engine answers" in lines[0], proc.stderr
