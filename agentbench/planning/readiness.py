"""What is missing to start a sweep: API keys, Docker images, datasets not in the cache."""

from __future__ import annotations

import os
from typing import Any

from agentbench.config import SystemConfig
from agentbench.models.providers import key_env


def missing_keys(systems: list[SystemConfig]) -> list[str]:
    """One line per API key variable a system needs and the environment lacks."""
    out: dict[str, str] = {}
    for s in systems:
        var = key_env(s.model)
        if var and not os.environ.get(var):
            out.setdefault(var, s.name)
    return [f"API key: {var} is not set (system {name})" for var, name in out.items()]


def image_sizes(tags: list[str]) -> tuple[int, list[str], str | None]:
    """Bytes of the images present, the tags absent, and why Docker could not be asked (or None)."""
    try:
        from agentbench.sandbox.client import docker_client

        client = docker_client(timeout=10)
    except Exception as exc:  # no engine: every image is missing, say why
        return 0, list(tags), f"Docker engine unreachable ({type(exc).__name__})"
    present, absent = 0, []
    for tag in tags:
        try:
            present += int(client.images.get(tag).attrs.get("Size") or 0)
        except Exception:
            absent.append(tag)
    return present, absent, None


def swebench_images(task: Any) -> list[str]:
    """The image tags a SWE-bench task will run in (prebuilt names; built ones are local)."""
    from agentbench.tasks.swebench.environment import prebuilt_image_name

    if task.spec.image_source == "prebuilt":
        return [prebuilt_image_name(i) for i in task.instance_ids()]
    return []
