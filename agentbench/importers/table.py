"""Import a long table of multiple-choice answers (CSV, JSONL or Parquet) into a run store.

One row per (question, system, seed): the answer and the target, each an option letter
("B"), a 0-based index (1), or for the answer a probability vector ([0.1, 0.7, 0.2, 0]).
An empty answer is an unparsed unroll: the uniform distribution (METHODS.md §2a). The
number of options comes from --options, an options column, or the vectors themselves.
Without a length column the run has no length: reports skip the length grouping and say so.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentbench.config import ModelConfig, SystemConfig
from agentbench.errors import ConfigError, DataError
from agentbench.importers.common import ImportSummary, summary
from agentbench.records import ChoiceOutcome, ExitStatus, SampleKey, SampleResult, SampleStatus
from agentbench.rows import read_rows
from agentbench.store.runstore import RunStore
from agentbench.tasks.mc.questions import option_index

SOURCE = "table"
COLUMNS = ("question", "system", "seed", "answer", "target", "length", "options")
REQUIRED = ("question", "system", "seed", "answer", "target")


def column_map(pairs: Sequence[str]) -> dict[str, str]:
    """Parse `--column KEY=NAME` flags into {key: column name}, every key defaulting to itself."""
    out = {k: k for k in COLUMNS}
    for pair in pairs:
        key, sep, name = pair.partition("=")
        if not sep or key not in COLUMNS or not name:
            raise ConfigError(
                f"{pair!r} is not KEY=COLUMN with KEY one of {', '.join(COLUMNS)}",
                field="--column",
                fix="e.g. --column answer=prediction",
            )
        out[key] = name
    return out


def _vector(value: Any) -> list[float] | None:
    """A probability vector given as a list or as JSON text; None if it is not one."""
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    numbers = isinstance(value, list | tuple) and bool(value)
    if numbers and all(isinstance(x, int | float) and not isinstance(x, bool) for x in value):
        return [float(x) for x in value]
    return None


def _n_options(row: dict[str, Any], cols: dict[str, str], options: int | None) -> int | None:
    if options is not None:
        return options
    v = row.get(cols["options"])
    if v in (None, ""):
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return -1  # reported by the caller with the row


def _outcome(
    row: dict[str, Any], cols: dict[str, str], options: int | None, where: str
) -> tuple[ChoiceOutcome, bool]:
    """ChoiceOutcome of one row, and whether its answer was parsed."""
    n = _n_options(row, cols, options)
    if n is not None and n < 2:
        raise DataError(
            f"{row.get(cols['options'])!r} options", path=where, field=cols["options"],
            fix="a multiple-choice question has 2 or more options",
        )  # fmt: skip
    raw = row.get(cols["answer"])
    vec = _vector(raw)
    if vec is not None:
        if n is not None and len(vec) != n:
            raise DataError(
                f"a vector of {len(vec)} probabilities for {n} options", path=where,
                field=cols["answer"], fix="give one probability per option",
            )  # fmt: skip
        n = len(vec)
        total = sum(vec)
        if any(x < 0 or not math.isfinite(x) for x in vec) or abs(total - 1.0) > 1e-3:
            raise DataError(
                f"probabilities {vec} do not sum to 1", path=where, field=cols["answer"],
                fix="give a distribution over the options (non-negative, summing to 1)",
            )  # fmt: skip
        target = option_index(row.get(cols["target"]), n, where=where, field=cols["target"])
        probs = [x / total for x in vec]
        return ChoiceOutcome(probs=probs, target=target, answer_text=str(raw)), True
    if n is None:
        raise DataError(
            "cannot tell how many options this question has", path=where,
            field=cols["answer"],
            fix="pass --options N, map an options column, or give probability vectors",
        )  # fmt: skip
    target = option_index(row.get(cols["target"]), n, where=where, field=cols["target"])
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ChoiceOutcome(probs=[1.0 / n] * n, target=target, parsed=False), False
    a = option_index(raw, n, where=where, field=cols["answer"])
    probs = [0.0] * n
    probs[a] = 1.0
    return ChoiceOutcome(probs=probs, target=target, answer_text=str(raw)), True


def _seed(value: Any, where: str, col: str) -> int:
    try:
        f = float(value)
        if f.is_integer() and not isinstance(value, bool):
            return int(f)
    except (TypeError, ValueError):
        pass
    raise DataError(f"seed {value!r} is not an integer", path=where, field=col,
                    fix="seeds are integers (an inspect epoch, a sampling seed)")  # fmt: skip


def _length(value: Any, where: str, col: str) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        f = math.nan
    if not math.isfinite(f) or f < 0:
        raise DataError(f"length {value!r} is not a non-negative number", path=where, field=col,
                        fix="give actions or tokens per answer, or leave the column out")  # fmt: skip
    return f


def read_table(
    path: str | Path, *, task: str | None = None, columns: Sequence[str] = (),
    options: int | None = None,
) -> tuple[list[SystemConfig], str, list[SampleResult], list[str]]:  # fmt: skip
    """Parse an answer table into (systems, task, samples, notes) without writing anything."""
    p = Path(path)
    cols = column_map(columns)
    if options is not None and options < 2:
        raise ConfigError(f"{options} options", field="--options", fix="pass 2 or more")
    rows = read_rows(p)
    if not rows:
        raise DataError("the table has no rows", path=str(p), fix="pass a table of answers")
    missing = [cols[k] for k in REQUIRED if cols[k] not in rows[0]]
    if missing:
        raise DataError(
            f"no column {', '.join(missing)} (has {', '.join(map(str, rows[0]))})",
            path=str(p), field=missing[0],
            fix="map your column names with --column KEY=NAME",
        )  # fmt: skip
    has_length = cols["length"] in rows[0]
    task_name = task or p.stem
    systems: dict[str, SystemConfig] = {}
    seen: dict[tuple[str, str, int], int] = {}
    samples: list[SampleResult] = []
    unparsed = 0
    line0 = 2 if p.suffix.lower() == ".csv" else 1  # a CSV's first line is its header
    for i, row in enumerate(rows):
        where = f"{p}: row {i + line0}"
        qid, sysname = row.get(cols["question"]), row.get(cols["system"])
        for col, v in ((cols["question"], qid), (cols["system"], sysname)):
            if v is None or not str(v).strip():
                raise DataError("is empty", path=where, field=col, fix="every row names it")
        seed = _seed(row.get(cols["seed"]), where, cols["seed"])
        k = (str(qid), str(sysname), seed)
        if k in seen:
            raise DataError(
                f"question {k[0]!r}, system {k[1]!r}, seed {seed} again (first at row "
                f"{seen[k] + line0})", path=where,
                fix="one row per question, system and seed",
            )  # fmt: skip
        seen[k] = i
        if k[1] not in systems:
            systems[k[1]] = SystemConfig(
                name=k[1], model=ModelConfig(provider="litellm", name=k[1]), scaffold=SOURCE
            )
        cfg = systems[k[1]]
        outcome, parsed = _outcome(row, cols, options, where)
        unparsed += not parsed
        length = _length(row.get(cols["length"]), where, cols["length"]) if has_length else None
        key = SampleKey(task=task_name, instance_id=k[0], system=k[1],
                        system_hash=cfg.config_hash(), seed=seed)  # fmt: skip
        samples.append(SampleResult(
            key=key, status=SampleStatus.DONE, outcome=outcome,
            resolved=parsed and outcome.probs.index(max(outcome.probs)) == outcome.target,
            exit_status=ExitStatus.SUBMITTED, length=length,
        ))  # fmt: skip
    widths = sorted({len(s.outcome.probs) for s in samples if isinstance(s.outcome, ChoiceOutcome)})
    notes = [
        f"{len(samples)} answers read as multiple-choice with {'/'.join(map(str, widths))} "
        f"options from {len(systems)} systems; {unparsed} unparsed (uniform)"
    ]
    if not has_length:
        notes.append(f"no {cols['length']!r} column: the run has no length, so no length grouping")
    return list(systems.values()), task_name, samples, notes


def import_table(
    run_dir: str | Path, path: str | Path, *, task: str | None = None,
    columns: Sequence[str] = (), options: int | None = None,
) -> list[ImportSummary]:  # fmt: skip
    """Import an answer table: every system and sample in one transaction, one summary each."""
    systems, task_name, samples, notes = read_table(
        path, task=task, columns=columns, options=options
    )
    spec = {"kind": "imported", "source": SOURCE, "source_path": str(path), "outcome": "choice"}
    rd = Path(run_dir)
    with RunStore.create(rd) as store:
        for cfg in systems:
            store.register_system(cfg)
        store.register_task(task_name, spec)
        store.put_many(samples)
    return [
        summary(SOURCE, rd, task_name, cfg, [s for s in samples if s.key.system == cfg.name],
                notes if i == 0 else [])
        for i, cfg in enumerate(systems)
    ]  # fmt: skip
