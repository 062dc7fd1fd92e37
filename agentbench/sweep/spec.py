"""The sweep spec: tasks × systems × seeds, concurrency, retry policy and cost limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from agentbench.config import SystemConfig
from agentbench.errors import ConfigError
from agentbench.records import Record
from agentbench.safeyaml import read_yaml

# Package data: the bundled specs, the same folder in a checkout and in an installed wheel.
SWEEPS_DIR = Path(__file__).resolve().parents[1] / "sweeps"


def resolve_spec_path(name_or_path: str | Path) -> Path:
    """An existing file or a path wins; a bare name (`example`) is a bundled spec in sweeps/."""
    s = str(name_or_path)
    p = Path(s)
    if p.exists() or p.suffix in (".yaml", ".yml") or "/" in s:
        return p
    return SWEEPS_DIR / f"{s}.yaml"


class RetryPolicy(Record):
    """How infrastructure failures are retried before a sample is recorded MISSING."""

    max_attempts: int = Field(3, ge=1)
    backoff_s: float = Field(2.0, ge=0)  # wait before the 2nd attempt
    backoff_factor: float = Field(2.0, ge=1)
    max_backoff_s: float = Field(60.0, ge=0)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return min(self.max_backoff_s, self.backoff_s * self.backoff_factor ** (attempt - 1))


class Concurrency(Record):
    """Concurrency gates: samples in flight, and model calls per model (None = the model's own)."""

    samples: int = Field(4, ge=1)
    model_calls: int | None = Field(None, ge=1)


class SweepSpec(Record):
    """One sweep: every (task instance, system, seed) is a sample keyed by its content."""

    name: str = Field(min_length=1)
    run_dir: str | None = None  # default: runs/<name>
    tasks: list[dict[str, Any]] = Field(min_length=1)  # each passed to make_task
    systems: list[SystemConfig] = Field(min_length=1)
    seeds: int | list[int] = 5  # a count (0..n-1) or explicit seeds
    concurrency: Concurrency = Field(default_factory=Concurrency)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    cost_limit_usd: float | None = Field(None, gt=0)  # stop scheduling once spent cost reaches it

    @field_validator("seeds")
    @classmethod
    def _seeds_ok(cls, v: int | list[int]) -> int | list[int]:
        if isinstance(v, int) and v < 1:
            raise ValueError("seeds must be a positive count or a list of seeds")
        if isinstance(v, list) and (not v or len(set(v)) != len(v)):
            raise ValueError("seed list must be non-empty and without repeats")
        return v

    @field_validator("tasks")
    @classmethod
    def _tasks_ok(cls, v: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for i, t in enumerate(v):
            if "kind" not in t:
                raise ValueError(f"task {i} has no 'kind' (e.g. swebench, mc)")
        return v

    @model_validator(mode="after")
    def _systems_distinct(self) -> SweepSpec:
        names: set[str] = set()
        hashes: dict[str, str] = {}
        for s in self.systems:
            if s.name in names:
                raise ValueError(f"two systems are named {s.name!r}")
            names.add(s.name)
            h = s.config_hash()
            if h in hashes:
                raise ValueError(
                    f"systems {hashes[h]!r} and {s.name!r} are identical (same config hash); "
                    "add seeds instead of a copy"
                )
            hashes[h] = s.name
        return self

    def seed_list(self) -> list[int]:
        """The seeds, in order."""
        return list(range(self.seeds)) if isinstance(self.seeds, int) else list(self.seeds)

    def resolved_run_dir(self) -> Path:
        """The run folder (relative paths are taken from the working directory)."""
        return Path(self.run_dir) if self.run_dir else Path("runs") / self.name


def _set_path(doc: Any, dotted: str, value: Any, source: str) -> None:
    """Set `a.b.0.c` in nested dicts/lists; list indexes must exist."""
    parts = dotted.split(".")
    cur = doc
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        where = ".".join(parts[: i + 1])
        if isinstance(cur, list):
            if not part.isdigit() or int(part) >= len(cur):
                raise ConfigError(
                    f"--set {dotted}: no list item {part!r} (the list has {len(cur)})",
                    path=source,
                    field=where,
                    fix="use an index that exists",
                )
            idx = int(part)
            if last:
                cur[idx] = value
            else:
                cur = cur[idx]
        elif isinstance(cur, dict):
            if last:
                cur[part] = value
            else:
                if part not in cur or cur[part] is None:
                    cur[part] = {}
                cur = cur[part]
        else:
            raise ConfigError(
                f"--set {dotted}: {where} is a value, not a mapping or list",
                path=source,
                field=where,
                fix="set the field itself",
            )


def apply_overrides(doc: dict[str, Any], overrides: list[str], source: str) -> dict[str, Any]:
    """Apply `key.path=value` overrides (value parsed as YAML) to a spec document."""
    for item in overrides:
        if "=" not in item:
            raise ConfigError(
                f"--set {item!r} lacks '='", path=source, fix="write --set key.path=value"
            )
        dotted, raw = item.split("=", 1)
        if not dotted.strip() or any(not p.strip() for p in dotted.split(".")):
            raise ConfigError(
                f"--set {item!r} has an empty key", path=source, fix="write --set key.path=value"
            )
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        _set_path(doc, dotted.strip(), value, source)
    return doc


def _loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc)


def _in_overrides(exc: ConfigError, doc: dict[str, Any], source: str) -> ConfigError | None:
    """The scaffold error placed at the spec's scaffold_overrides key that caused it, if one did."""
    top = (exc.field or "").split(".", 1)[0]
    for i, system in enumerate(doc.get("systems") or []):
        overrides = system.get("scaffold_overrides") if isinstance(system, dict) else None
        if top and isinstance(overrides, dict) and top in overrides:
            return ConfigError(
                exc.detail,
                path=source,
                field=f"systems.{i}.scaffold_overrides.{exc.field}",
                fix=exc.fix,
            )
    return None


def validate_spec(doc: Any, source: str) -> SweepSpec:
    """Validate a spec document; the first problem becomes a ConfigError naming file and key."""
    if not isinstance(doc, dict):
        raise ConfigError(
            "a sweep spec must be a YAML mapping",
            path=source,
            fix="see agentbench/sweeps/example.yaml",
        )
    try:
        return SweepSpec.model_validate(doc)
    except ConfigError as exc:  # raised by a system's config hash loading its scaffold
        raise _in_overrides(exc, doc, source) or exc from None
    except ValidationError as exc:
        e = exc.errors()[0]
        field = _loc(e["loc"]) or None
        kind = e["type"]
        if kind == "extra_forbidden":
            msg, fix = "unknown key", "remove it or fix its spelling"
        elif kind == "missing":
            msg, fix = "required key is missing", "add it"
        else:
            msg, fix = e["msg"], "see agentbench/sweeps/example.yaml"
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(msg + more, path=source, field=field, fix=fix) from None


def load_spec(path: str | Path, overrides: list[str] | None = None) -> SweepSpec:
    """Load a sweep spec from YAML, apply `--set` overrides, validate."""
    p = resolve_spec_path(path)
    doc = read_yaml(p, what="file", fix="pass a sweep spec YAML file", mapping=False)
    if isinstance(doc, dict):
        from agentbench.sweep.specvars import split_var_overrides, substitute_vars

        rest = split_var_overrides(doc, overrides or [])
        doc = substitute_vars(apply_overrides(doc, rest, str(p)), str(p))
    return validate_spec(doc, str(p))
