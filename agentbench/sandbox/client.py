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
# docker-py's socket adapters keep one connection pool per request URL in an LRU of 25 and
# close the one evicted even while another thread uses it ('NoneType' object has no attribute
# 'qsize'): with a dozen sandboxes exec'ing at once, 25 URLs are live. Its `num_pools`
# argument cannot help: APIClient ignores it except over ssh (an operator-precedence slip).
_NUM_POOLS = 4096


def _widen_url_pools(client: docker.DockerClient) -> None:
    """Give the engine adapter's per-URL pool LRU room for every live sandbox."""
    from urllib3._collections import RecentlyUsedContainer

    adapter = client.api.get_adapter(client.api.base_url)
    if hasattr(adapter, "pools") and not str(client.api.base_url).startswith("ssh"):
        adapter.pools = RecentlyUsedContainer(_NUM_POOLS, dispose_func=lambda p: p.close())


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
            _widen_url_pools(client)
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
