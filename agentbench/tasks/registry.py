"""Task kinds by name: `make_task(spec)` builds a Task from its spec dict (also on Ray workers)."""

from __future__ import annotations

import importlib
from typing import Any

from agentbench.errors import ConfigError
from agentbench.tasks.base import Task

# kind -> "module:factory"; imported lazily so one kind's heavy imports never slow another.
KINDS: dict[str, str] = {
    "swebench": "agentbench.tasks.swebench.task:SWEBenchTask.from_spec",
    "mc": "agentbench.tasks.mc:make_task",
}


def _resolve(target: str) -> Any:
    mod_name, _, attr = target.partition(":")
    obj: Any = importlib.import_module(mod_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def make_task(spec: dict[str, Any]) -> Task:
    """Build the task `spec["kind"]` names from `spec`; an unknown kind raises ConfigError."""
    if not isinstance(spec, dict):
        raise ConfigError(
            f"a task spec must be a mapping, got {type(spec).__name__}", field="tasks"
        )
    kind = spec.get("kind")
    if kind not in KINDS:
        raise ConfigError(
            f"unknown task kind {kind!r}",
            field="tasks.kind",
            fix=f"use one of {', '.join(sorted(KINDS))}",
        )
    target = KINDS[str(kind)]
    try:
        factory = _resolve(target)
    except ModuleNotFoundError as exc:
        # only "that part is not installed/built" is a user error; a broken import is a bug
        if not exc.name or not target.startswith(exc.name):
            raise
        raise ConfigError(
            f"task kind {kind!r} is not available here ({exc})",
            field="tasks.kind",
            fix="install the part of agentbench that provides it",
        ) from None
    task: Task = factory(spec)
    return task
