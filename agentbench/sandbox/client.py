"""One Docker SDK client per process, or a one-line EnvironmentProblem when no engine answers."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from agentbench.errors import EnvironmentProblem

if TYPE_CHECKING:
    import docker

_lock = threading.Lock()
_clients: dict[int, docker.DockerClient] = {}  # keyed by pid: a forked child needs its own

# Enough pooled HTTP connections for many sandboxes used from threads at once.
_POOL_SIZE = 64


def docker_client(timeout: float = 120.0) -> docker.DockerClient:
    """The process-wide Docker client; raises EnvironmentProblem if no engine answers."""
    pid = os.getpid()
    with _lock:
        client = _clients.get(pid)
        if client is not None:
            return client
        try:
            import docker
        except ImportError as exc:  # pragma: no cover - docker is a hard dependency
            raise EnvironmentProblem(
                "the docker Python package is missing", fix="pip install docker"
            ) from exc
        where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        try:
            client = docker.from_env(timeout=int(timeout), max_pool_size=_POOL_SIZE)
            client.ping()
        except Exception as exc:
            raise EnvironmentProblem(
                f"no Docker engine answers at {where} ({type(exc).__name__})",
                field="DOCKER_HOST",
                fix="start one with `bash scripts/ensure-docker.sh` (or `dockerd` as root), "
                "or point DOCKER_HOST at a running engine",
            ) from None
        _clients[pid] = client
        return client


def resolve(client: docker.DockerClient | None) -> docker.DockerClient:
    """`client` if given, else the process-wide one."""
    return client if client is not None else docker_client()
