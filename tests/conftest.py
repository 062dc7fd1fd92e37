"""Shared fixtures. Area-specific fixtures live in tests/<area>/conftest.py."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

# Label every container the suite starts so a leak is visible after the run.
TEST_RUN_LABEL = f"pytest-{os.getpid()}"
os.environ.setdefault("AGENTBENCH_TEST_RUN", TEST_RUN_LABEL)


def _docker_ok() -> bool:
    try:
        import docker

        docker.from_env(timeout=5).ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def docker_client():
    """A Docker SDK client; in CI a missing engine is a failure, elsewhere a skip."""
    if not _docker_ok():
        if os.environ.get("CI"):
            pytest.fail("no Docker engine answers in CI: scripts/setup.sh should have started one")
        pytest.skip("no Docker engine (run scripts/ensure-docker.sh)")
    from agentbench.sandbox.client import docker_client as project_client

    return project_client()  # the client the project uses, with its pool settings


@pytest.fixture(scope="session")
def base_image(docker_client) -> str:
    """The offline base image (python3, git, pytest), built once and cached by hash."""
    from agentbench.sandbox.images import ensure_base_image

    return ensure_base_image(docker_client)
