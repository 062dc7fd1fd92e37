"""Load SWE-bench instances from the hub, a bundled suite or a local JSON/JSONL/Parquet file."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from agentbench.errors import ConfigError, DataError, EnvironmentProblem
from agentbench.logging import get_logger
from agentbench.rows import SUFFIXES, read_rows
from agentbench.tasks.swebench.schema import SWEInstance, validate_row
from agentbench.tasks.swebench.suites import Suite, find_suite

log = get_logger(__name__)

# Short names accepted for the three public datasets (the hub names work as given).
HUB_ALIASES = {
    "swe-bench": "princeton-nlp/SWE-bench",
    "swebench": "princeton-nlp/SWE-bench",
    "swe-bench-lite": "princeton-nlp/SWE-bench_Lite",
    "lite": "princeton-nlp/SWE-bench_Lite",
    "swe-bench-verified": "princeton-nlp/SWE-bench_Verified",
    "verified": "princeton-nlp/SWE-bench_Verified",
}
HUB_NAMES = frozenset(
    [
        "princeton-nlp/SWE-bench",
        "princeton-nlp/SWE-bench_Lite",
        "princeton-nlp/SWE-bench_Verified",
        "SWE-bench/SWE-bench",
        "SWE-bench/SWE-bench_Lite",
        "SWE-bench/SWE-bench_Verified",
    ]
)


class Dataset:
    """Loaded instances plus where they came from (the suite, when bundled)."""

    def __init__(self, source: str, instances: list[SWEInstance], suite: Suite | None) -> None:
        self.source = source
        self.instances = instances
        self.suite = suite

    def by_id(self) -> dict[str, SWEInstance]:
        """Instances keyed by instance_id."""
        return {i.instance_id: i for i in self.instances}


def load_dataset(source: str, *, split: str = "test") -> Dataset:
    """Resolve `source` (hub name, suite name/folder, or local file) and validate every row."""
    suite = find_suite(source)
    if suite is not None:
        rows = read_rows(suite.instances_path)
        return Dataset(suite.name, _validate(rows, str(suite.instances_path)), suite)
    path = Path(source)
    if path.suffix in SUFFIXES:
        return Dataset(source, _validate(read_rows(path), source), None)
    hub = HUB_ALIASES.get(source.lower(), source)
    if hub in HUB_NAMES or ("/" in hub and not path.exists()):
        return Dataset(hub, _validate(_read_hub(hub, split), f"{hub}[{split}]"), None)
    raise ConfigError(
        f"unknown dataset {source!r}",
        field="dataset",
        fix="use a hub name (princeton-nlp/SWE-bench_Lite ...), a bundled suite "
        f"(agentbench-mini), a suite folder, or a file ({', '.join(SUFFIXES)})",
    )


def _validate(rows: Iterable[Any], path: str) -> list[SWEInstance]:
    out: list[SWEInstance] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(rows, start=1):
        inst = validate_row(row, path=path, row_no=n)
        if inst.instance_id in seen:
            raise DataError(
                f"row {n}: field instance_id: {inst.instance_id!r} repeats row {seen[inst.instance_id]}",
                path=path,
                fix="instance ids must be unique",
            )
        seen[inst.instance_id] = n
        out.append(inst)
    if not out:
        # an empty file would run a sweep of nothing and report nothing, silently
        raise DataError("no rows", path=path, fix="the dataset is empty: add SWE-bench rows")
    return out


def _read_hub(name: str, split: str) -> list[Any]:
    import datasets

    try:
        ds = datasets.load_dataset(name, split=split)
    except (ConnectionError, OSError, datasets.exceptions.DatasetsError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EnvironmentProblem(
            f"cannot load {name} (split {split}) from the Hugging Face hub: {first}",
            field="dataset",
            fix="the hub is unreachable or HF_HUB_OFFLINE=1 and it is not cached; "
            "export it to a local .jsonl/.parquet file and pass that path",
        ) from None
    return list(ds)


def parse_slice(spec: str) -> slice:
    """'a:b' / 'a:b:c' / ':n' into a slice; a bad one raises ConfigError."""
    parts = spec.split(":")
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        nums = [int(p) if p.strip() else None for p in parts]
    except ValueError:
        raise ConfigError(
            f"bad slice {spec!r}", field="slice", fix="write start:stop[:step], e.g. 0:10"
        ) from None
    return slice(*nums)


def select(
    instances: Sequence[SWEInstance],
    *,
    ids: Sequence[str] | None = None,
    pattern: str | None = None,
    slice_: str | None = None,
    shuffle_seed: int | None = None,
) -> list[SWEInstance]:
    """Filter by id list, then regex, then shuffle with a seed, then slice."""
    out = list(instances)
    if ids:
        by_id = {i.instance_id: i for i in out}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise ConfigError(
                f"instance ids not in the dataset: {', '.join(missing[:5])}",
                field="instance_ids",
                fix="check the ids (agentbench tasks ls DATASET)",
            )
        out = [by_id[i] for i in dict.fromkeys(ids)]
    if pattern:
        try:
            rx = re.compile(pattern)
        except re.error as exc:
            raise ConfigError(
                f"bad regex {pattern!r} ({exc})", field="filter", fix="fix the pattern"
            ) from None
        out = [i for i in out if rx.search(i.instance_id)]
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(out)
    if slice_:
        out = out[parse_slice(slice_)]
    return out
