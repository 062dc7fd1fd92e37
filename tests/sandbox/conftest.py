"""Sandbox fixtures, and a session-end check that no container labelled by this test run remains."""

from __future__ import annotations

import os
import time
import uuid

import pytest

from agentbench.sandbox.docker import DockerSandbox
from agentbench.sandbox.limits import SandboxLimits

pytestmark = pytest.mark.docker


@pytest.fixture
def run_id() -> str:
    """A fresh run id per test, so a test can find exactly its own containers."""
    return f"t-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def sandbox(base_image: str, docker_client, run_id: str):
    """A default sandbox on the base image (small memory so limit tests stay cheap)."""
    with DockerSandbox(
        base_image, run_id=run_id, limits=SandboxLimits(memory="512m"), client=docker_client
    ) as sb:
        yield sb


def leftover_containers(client, label: str) -> list[str]:
    """Ids of containers (any state) carrying agentbench.test=`label`."""
    found = client.api.containers(all=True, filters={"label": f"agentbench.test={label}"})
    return [c["Id"][:12] for c in found]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any container this test run labelled is still there."""
    label = os.environ.get("AGENTBENCH_TEST_RUN")
    if not label:
        return
    try:
        import docker

        client = docker.from_env(timeout=10)
        client.ping()
    except Exception:
        return  # no engine: the docker tests were skipped
    left: list[str] = []
    for _ in range(20):  # auto-removal after a closed stream is asynchronous: allow it ~2 s
        left = leftover_containers(client, label)
        if not left:
            return
        time.sleep(0.1)
    for cid in left:
        client.api.remove_container(cid, force=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
    tr = session.config.pluginmanager.get_plugin("terminalreporter")
    if tr is not None:
        tr.write_line(
            f"LEAK: containers labelled agentbench.test={label} remained: {left}", red=True
        )
