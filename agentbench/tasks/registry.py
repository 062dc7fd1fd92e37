"""Task kinds by name: `make_task(spec)` builds a Task from its spec dict (also on Ray workers).

Adding a task kind is one module (a `Task` subclass and a factory from the spec dict) and one
line in KINDS. A kind outside the package (a plugin, a test kind) may be named in the spec by
its import path, `package.module:factory`, which goes through the same checks.
"""

from __future__ import annotations

import importlib
from typing import Any

from agentbench.errors import ConfigError
from agentbench.tasks.base import Task

# kind -> "module:factory"; imported lazily so one kind's heavy imports never slow another.
KINDS: dict[str, str] = {
    "swebench": "agentbench.tasks.swebench.task:SWEBenchTask.from_spec",
    "mc": "agentbench.tasks.mc.task:MCTask.from_spec",
}


def _resolve(kind: str, target: str) -> Any:
    mod_name, _, attr = target.partition(":")
    try:
        obj: Any = importlib.import_module(mod_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except ModuleNotFoundError as exc:
        # only "that part is not installed/built" is a user error; a broken import is a bug
        if not exc.name or not mod_name.startswith(exc.name):
            raise
        raise ConfigError(
            f"task kind {kind!r} is not available here ({exc})",
            field="tasks.kind",
            fix="install the part of agentbench that provides it, or fix the module path",
        ) from None
    except AttributeError as exc:
        raise ConfigError(
            f"cannot import task kind {kind!r} ({exc})", field="tasks.kind", fix="fix the name"
        ) from None
    return obj


def make_task(spec: dict[str, Any]) -> Task:
    """Build the task `spec["kind"]` names from `spec`; an unknown kind raises ConfigError."""
    if not isinstance(spec, dict):
        raise ConfigError(
            f"a task spec must be a mapping, got {type(spec).__name__}", field="tasks"
        )
    kind = spec.get("kind")
    target = KINDS.get(kind) if isinstance(kind, str) else None
    if target is None and isinstance(kind, str) and ":" in kind:
        target = kind
    if target is None:
        raise ConfigError(
            f"unknown task kind {kind!r}",
            field="tasks.kind",
            fix=f"use one of {', '.join(sorted(KINDS))}, or an importable module:factory",
        )
    task = _resolve(str(kind), target)(spec)
    if not isinstance(task, Task):
        raise ConfigError(
            f"task kind {kind!r} built a {type(task).__name__}, not an agentbench Task",
            field="tasks.kind",
            fix="subclass agentbench.tasks.base.Task",
        )
    return task
