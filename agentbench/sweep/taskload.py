"""Build a Task from its spec dict: the registry's kinds, or `module:attr` for outside kinds."""

from __future__ import annotations

import importlib
from typing import Any

from agentbench.errors import ConfigError
from agentbench.tasks.base import Task


def build_task(spec: dict[str, Any]) -> Task:
    """Rebuild a task from its spec (the same call runs on a Ray worker)."""
    kind = spec.get("kind")
    if isinstance(kind, str) and ":" in kind:
        # a task kind outside the registry (plugins, test kinds): "package.module:Factory"
        mod_name, _, attr = kind.partition(":")
        try:
            factory = getattr(importlib.import_module(mod_name), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(
                f"cannot import task kind {kind!r} ({exc})",
                field="tasks.kind",
                fix="use a registry kind (swebench, mc) or an importable module:attr",
            ) from None
        task: Task = factory(spec)
        return task
    from agentbench.tasks.registry import make_task

    return make_task(spec)
