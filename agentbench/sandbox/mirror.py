"""Share content-hashed images through a registry: built and pushed once, pulled on every node.

A layer's tag hashes its parent's image id, and a pull keeps that id, so a node that pulls
the base image computes the same environment and instance tags as the node that pushed
them: pulling replaces building layer by layer, and a layer the registry lacks is built.
"""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING

from agentbench.errors import EnvironmentProblem
from agentbench.logging import get_logger

if TYPE_CHECKING:
    import docker

log = get_logger(__name__)

_REGISTRY = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?$")


def check_registry(registry: str) -> str:
    """`HOST[:PORT]` of a registry, or a ValueError that says what it should look like."""
    if not _REGISTRY.match(registry):
        raise ValueError(f"{registry!r} is not HOST:PORT, e.g. 127.0.0.1:5000 (no scheme, no path)")
    return registry


def mirror_ref(registry: str, tag: str) -> str:
    """The name `tag` has in `registry`."""
    return f"{registry}/{tag}"


def _stream_error(stream: object) -> str | None:
    """The last error of a push/pull progress stream (the engine reports failures in-band)."""
    error = None
    for chunk in stream:  # type: ignore[attr-defined]
        if isinstance(chunk, dict) and "error" in chunk:
            error = str(chunk["error"]).strip()
    return error


def push(client: docker.DockerClient, tag: str, registry: str) -> str:
    """Push local image `tag` to `registry`; returns its name there (EnvironmentProblem if refused)."""
    import docker.errors

    ref = mirror_ref(registry, tag)
    repo, _, version = ref.rpartition(":")
    try:
        client.api.tag(tag, repo, version)
        error = _stream_error(client.api.push(repo, tag=version, stream=True, decode=True))
    except docker.errors.APIError as exc:
        error = str(exc.explanation or exc)
    finally:
        with contextlib.suppress(docker.errors.APIError):  # only the extra name: the image stays
            client.api.remove_image(ref, noprune=True)
    if error is not None:
        raise EnvironmentProblem(
            f"cannot push {tag} to {registry}: {error.splitlines()[-1][:300]}",
            field="--registry", fix="start the registry, or check HOST:PORT",
        )  # fmt: skip
    log.info("image pushed", tag=tag, registry=registry)
    return ref


def pull(client: docker.DockerClient, tag: str, registry: str) -> str | None:
    """Fetch `tag` from `registry` under its own name; None when it is here now, else why not."""
    import docker.errors

    ref = mirror_ref(registry, tag)
    repo, _, version = ref.rpartition(":")
    try:
        error = _stream_error(client.api.pull(repo, tag=version, stream=True, decode=True))
        if error is None:
            local_repo, _, local_version = tag.rpartition(":")
            client.api.tag(ref, local_repo, local_version)
            client.api.remove_image(ref, noprune=True)
    except docker.errors.APIError as exc:
        error = str(exc.explanation or exc)
    if error is not None:
        why = error.splitlines()[-1][:300]
        log.info("image not pulled", tag=tag, registry=registry, reason=why)
        return why
    log.info("image pulled", tag=tag, registry=registry)
    return None


def layer_chain(client: docker.DockerClient, tag: str) -> list[str]:
    """`tag` and the layer tags below it (base first), read from the build labels."""
    chain = [tag]
    while True:
        labels = client.api.inspect_image(chain[-1]).get("Config", {}).get("Labels") or {}
        parent = labels.get("agentbench.parent")
        if not parent or parent in chain:
            return chain[::-1]
        chain.append(parent)
