"""Spec placeholders: a `vars:` block whose names `--set NAME=VALUE` fills and `${NAME}` uses.

The paper specs name provider models this way (`--set model=gpt-4o`), so one file serves any
model; a placeholder left unset is a one-line error naming the var and the `--set` that fills it.
"""

from __future__ import annotations

import re
from typing import Any

from agentbench.errors import ConfigError

_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def split_var_overrides(doc: dict[str, Any], overrides: list[str]) -> list[str]:
    """Apply `NAME=VALUE` overrides naming a declared var; return the other overrides."""
    declared = doc.get("vars")
    if not isinstance(declared, dict):
        return list(overrides)
    rest: list[str] = []
    for item in overrides:
        name, eq, raw = item.partition("=")
        if eq and name.strip() in declared:
            declared[name.strip()] = raw
        else:
            rest.append(item)
    return rest


def _fill(value: Any, vars_: dict[str, Any], where: str, source: str) -> Any:
    if isinstance(value, dict):
        return {
            k: _fill(v, vars_, f"{where}.{k}" if where else str(k), source)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_fill(v, vars_, f"{where}.{i}", source) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in vars_:
            raise ConfigError(
                f"placeholder ${{{name}}} is not declared under vars:",
                path=source, field=where, fix=f"add {name} to the spec's vars: block",
            )  # fmt: skip
        if vars_[name] is None:
            raise ConfigError(
                f"placeholder ${{{name}}} is not set",
                path=source, field=where, fix=f"pass --set {name}=VALUE",
            )  # fmt: skip
        return str(vars_[name])

    return _REF.sub(one, value)


def substitute_vars(doc: dict[str, Any], source: str) -> dict[str, Any]:
    """The spec with every `${NAME}` replaced by its var; the `vars:` block itself removed."""
    vars_ = doc.pop("vars", None)
    if vars_ is None:
        return doc
    if not isinstance(vars_, dict):
        raise ConfigError(
            "vars must be a mapping of names to values", path=source, field="vars",
            fix="write vars: {model: null}",
        )  # fmt: skip
    return _fill(doc, vars_, "", source)
