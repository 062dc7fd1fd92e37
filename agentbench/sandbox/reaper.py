"""Remove agentbench containers whose owner process on this host is gone."""

from __future__ import annotations

import os
import threading
import time
from typing import TYPE_CHECKING

from agentbench.errors import EnvironmentProblem
from agentbench.logging import get_logger
from agentbench.sandbox import ownership
from agentbench.sandbox.client import docker_client, resolve

if TYPE_CHECKING:
    import docker

log = get_logger(__name__)

_once_lock = threading.Lock()
_done_for_pid: set[int] = set()


def list_containers(
    client: docker.DockerClient | None = None, *, this_host: bool = True
) -> list[dict]:
    """Raw API records of agentbench containers (running or not)."""
    client = resolve(client)
    labels = [f"{ownership.LABEL}=1"]
    if this_host:
        labels.append(f"{ownership.HOST}={ownership.hostname()}")
    return client.api.containers(all=True, filters={"label": labels})


def remove_container(client: docker.DockerClient, cid: str) -> bool:
    """Kill and remove `cid`; False if it was already gone."""
    import docker.errors

    try:
        client.api.remove_container(cid, force=True, v=True)
        return True
    except docker.errors.NotFound:
        return False
    except docker.errors.APIError as exc:
        if exc.status_code == 409:  # removal already in progress (auto-remove)
            return False
        raise


def reap(
    client: docker.DockerClient | None = None,
    *,
    everything: bool = False,
    run_id: str | None = None,
) -> list[str]:
    """Remove orphaned agentbench containers on this host (all if `everything`; one run's if `run_id`)."""
    client = resolve(client)
    if not everything and ownership.process_start(os.getpid()) is None:
        log.warning("cannot judge container owners without /proc; nothing reaped")
        return []
    removed: list[str] = []
    for info in list_containers(client, this_host=not everything):
        labels = info.get("Labels") or {}
        if run_id is not None and labels.get(ownership.RUN) != run_id:
            continue
        if not everything and ownership.owner_alive(labels):
            continue
        if remove_container(client, info["Id"]):
            removed.append(info["Id"][:12])
    if removed:
        log.info("reaped orphaned sandboxes", count=len(removed), ids=removed)
    return removed


def reap_once(client: docker.DockerClient) -> None:
    """Reap orphans the first time a sandbox starts in this process; never fails the caller."""
    pid = os.getpid()
    with _once_lock:
        if pid in _done_for_pid:
            return
        _done_for_pid.add(pid)
    reap_orphans(client)


def reap_orphans(client: docker.DockerClient | None = None) -> None:
    """Remove containers left by dead agentbench processes; never fails the caller."""
    try:
        reap(client)
    except EnvironmentProblem as exc:
        # no Docker engine: nothing can be orphaned; tasks that need Docker will say so
        log.debug("reaper_skipped", reason=str(exc))
    except Exception as exc:  # cleaning up others' leftovers must not stop this sweep
        log.warning("reaper_failed", error=repr(exc))


def remove_own_sandboxes(passes: int = 10, pause_s: float = 0.3) -> int:
    """Remove the containers this process owns (Ctrl-C: their sample threads are abandoned)."""
    try:
        client = docker_client(timeout=30)
        mine = str(os.getpid())
        n = 0
        # abandoned sample threads keep running and may start a container (grading) while we
        # clean up: sweep until a pass finds none
        for _ in range(passes):
            found = [
                info["Id"]
                for info in list_containers(client)
                if (info.get("Labels") or {}).get(ownership.PID) == mine
            ]
            if not found:
                break
            n += sum(int(remove_container(client, cid)) for cid in found)
            time.sleep(pause_s)
        return n
    except Exception as exc:  # no engine, or it went away: the reaper of the next run cleans up
        log.warning("own_sandbox_cleanup_failed", error=repr(exc))
        return 0
