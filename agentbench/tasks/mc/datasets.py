"""Loaders: GPQA, MMLU and the advanced-AI-risk Model-Written Evals, from the hub or local files.

Every source becomes a list of MCQuestion. Local files (JSON, JSONL, CSV, Parquet, or a folder
of them) use the public schema of their source, so a copy downloaded elsewhere loads here with
the network off. The hub goes through `datasets`; an offline machine, a gated dataset without
a token, or a missing dataset is one clear line (EnvironmentProblem / DataError), never a
traceback.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from agentbench.errors import ConfigError, DataError, EnvironmentProblem
from agentbench.logging import get_logger
from agentbench.records import Record
from agentbench.rows import SUFFIXES, read_rows
from agentbench.tasks.mc.procedural import generate
from agentbench.tasks.mc.questions import LETTERS, MCQuestion, option_index

log = get_logger(__name__)

Source = Literal["procedural", "gpqa", "mmlu", "mwe", "generic"]

HUB_NAMES = {
    "gpqa": "Idavidrein/gpqa",
    "mmlu": "cais/mmlu",
    "mwe": "anthropic/model-written-evals",
}
GATED = frozenset({"gpqa"})
# The human-written advanced-AI-risk subsets (the paper's safety evals).
MWE_CATEGORIES = (
    "coordinate-other-ais",
    "corrigible-less-HHH",
    "corrigible-more-HHH",
    "corrigible-neutral-HHH",
    "myopic-reward",
    "one-box-tendency",
    "power-seeking-inclination",
    "self-awareness-general-ai",
    "self-awareness-good-text-model",
    "self-awareness-text-model",
    "self-awareness-training-architecture",
    "self-awareness-web-gpt",
    "survival-instinct",
    "wealth-seeking-inclination",
)
MWE_DIR = "advanced-ai-risk/human_generated_evals"


class DatasetSpec(Record):
    """Where the questions come from (the `dataset:` block of an mc task spec)."""

    source: Source = "procedural"
    # procedural
    n: int = Field(20, ge=1)  # questions per difficulty level
    difficulty: int | list[int] = 3
    seed: int = 0
    n_options: int = Field(4, ge=2, le=8)
    # files (any source but procedural): a file, a folder of files, or a glob
    path: str | None = None
    # hub
    hub_name: str | None = None  # default: the source's public dataset
    config: str | None = None  # gpqa: main | diamond | extended; mmlu: all | a subject
    split: str | None = None  # default: gpqa train, mmlu test
    categories: list[str] | None = None  # mwe: subsets (default: all human-written ones)
    token_env: str = "HF_TOKEN"  # env var with a hub token (GPQA is gated)
    # selection
    per_subject: int | None = Field(None, ge=1)  # cap per subject (MMLU: 100 in the paper)
    max_questions: int | None = Field(None, ge=1)
    # mwe: which answer is the aligned one (the target)
    aligned: Literal["not_matching", "matching"] = "not_matching"

    @model_validator(mode="after")
    def _check(self) -> DatasetSpec:
        levels = [self.difficulty] if isinstance(self.difficulty, int) else self.difficulty
        if not levels or min(levels) < 1:
            raise ValueError("difficulty must be a positive number of steps (or a list of them)")
        if self.source == "generic" and self.path is None:
            raise ValueError("source 'generic' reads local files: set dataset.path")
        return self


# ---------------------------------------------------------------- rows → questions


def _req(row: dict[str, Any], key: str, where: str) -> Any:
    if key not in row or row[key] is None or (isinstance(row[key], float) and row[key] != row[key]):
        raise DataError(
            f"missing field {key!r}",
            path=where,
            field=key,
            fix="fix the row or pick the right source",
        )
    return row[key]


def _text(row: dict[str, Any], key: str, where: str) -> str:
    v = _req(row, key, where)
    s = str(v).strip()
    if not s:
        raise DataError(f"field {key!r} is empty", path=where, field=key, fix="fix the row")
    return s


def _stable_rng(*parts: object) -> random.Random:
    h = hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()
    return random.Random(int(h[:16], 16))


def gpqa_question(row: dict[str, Any], index: int, where: str) -> MCQuestion:
    """A GPQA row (Question, Correct Answer, Incorrect Answer 1-3) → question.

    The correct answer's position comes from a hash of the record id, so it is stable
    across runs and not always A.
    """
    qid = str(row.get("Record ID") or f"gpqa-{index:05d}").strip()
    correct = _text(row, "Correct Answer", where)
    wrong = [_text(row, f"Incorrect Answer {i}", where) for i in (1, 2, 3)]
    options = [correct, *wrong]
    _stable_rng("gpqa", qid).shuffle(options)
    return MCQuestion(
        id=qid,
        question=_text(row, "Question", where),
        options=options,
        target=options.index(correct),
        subject=str(row.get("Subdomain") or row.get("High-level domain") or "").strip(),
        source="gpqa",
    )


def _choices(row: dict[str, Any], where: str) -> list[str]:
    if "choices" in row and row["choices"] is not None:
        raw = row["choices"]
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raise DataError(
                    "field 'choices' is a string that is not a JSON list",
                    path=where,
                    field="choices",
                    fix='write it as ["...", "..."] or use columns A, B, C, D',
                ) from None
        if hasattr(raw, "tolist"):
            raw = raw.tolist()
        if not isinstance(raw, list) or len(raw) < 2:
            raise DataError(
                "field 'choices' must be a list of at least 2 options",
                path=where,
                field="choices",
                fix="fix the row",
            )
        return [str(c) for c in raw]
    cols = [c for c in LETTERS if c in row and row[c] is not None]
    if len(cols) >= 2:
        return [str(row[c]) for c in cols]
    raise DataError(
        "missing field 'choices'", path=where, field="choices", fix="add choices (cais/mmlu schema)"
    )


def mmlu_question(row: dict[str, Any], index: int, where: str, split: str = "") -> MCQuestion:
    """A cais/mmlu row (question, subject, choices, answer) → question."""
    options = _choices(row, where)
    subject = str(row.get("subject") or "").strip()
    target = option_index(_req(row, "answer", where), len(options), where=where, field="answer")
    tag = f"{subject or 'mmlu'}-{split}" if split else subject or "mmlu"
    return MCQuestion(
        id=str(row.get("id") or f"{tag}-{index:05d}"),
        question=_text(row, "question", where),
        options=options,
        target=target,
        subject=subject,
        source="mmlu",
    )


_CHOICE_LINE = re.compile(r"^\s*\(([A-Z])\)\s*(.*\S)\s*$")


def parse_mwe_question(text: str, where: str) -> tuple[str, list[str]]:
    """Split a Model-Written Evals question into its stem and the options under 'Choices:'."""
    head, sep, tail = text.rpartition("Choices:")
    if not sep:
        head, tail = "", text
    options: dict[str, str] = {}
    stem_extra: list[str] = []
    last: str | None = None
    for line in tail.splitlines():
        m = _CHOICE_LINE.match(line)
        if m:
            last = m.group(1)
            options[last] = m.group(2)
        elif last is not None and line.strip():
            options[last] += " " + line.strip()  # an option that wraps onto the next line
        elif line.strip():
            stem_extra.append(line.strip())
    letters = sorted(options)
    if len(letters) < 2 or letters != list(LETTERS[: len(letters)]):
        raise DataError(
            "question has no '(A) ... (B) ...' choices",
            path=where,
            field="question",
            fix="use the Model-Written Evals schema (choices listed after 'Choices:')",
        )
    stem = (head if sep else "\n".join(stem_extra)).strip()
    return stem or text.strip(), [options[c] for c in letters]


def mwe_question(
    row: dict[str, Any], index: int, where: str, category: str, aligned: str = "not_matching"
) -> MCQuestion:
    """A Model-Written Evals row (question, answer_matching_behavior, ...not_matching...)."""
    stem, options = parse_mwe_question(_text(row, "question", where), where)
    field = "answer_matching_behavior"
    match = option_index(_req(row, field, where), len(options), where=where, field=field)
    if "answer_not_matching_behavior" in row and row["answer_not_matching_behavior"] is not None:
        raw = row["answer_not_matching_behavior"]
        raw = raw[0] if isinstance(raw, list) and raw else raw  # some subsets list them
        not_match = option_index(
            raw, len(options), where=where, field="answer_not_matching_behavior"
        )
    elif len(options) == 2:
        not_match = 1 - match
    else:
        raise DataError(
            "missing field 'answer_not_matching_behavior'",
            path=where,
            field="answer_not_matching_behavior",
            fix="add it",
        )
    return MCQuestion(
        id=f"{category}-{index:05d}",
        question=stem,
        options=options,
        target=match if aligned == "matching" else not_match,
        subject=category,
        source="mwe",
    )


def generic_question(row: dict[str, Any], index: int, where: str) -> MCQuestion:
    """Our own schema: id, question, options (list), target (index) [, subject]."""
    options = row.get("options")
    if isinstance(options, str):
        try:
            options = json.loads(options)
        except ValueError:
            options = None
    if hasattr(options, "tolist"):
        options = options.tolist()
    if not isinstance(options, list):
        raise DataError(
            "field 'options' must be a list", path=where, field="options", fix="fix the row"
        )
    return MCQuestion(
        id=str(row.get("id") or f"q-{index:05d}"),
        question=_text(row, "question", where),
        options=[str(o) for o in options],
        target=option_index(_req(row, "target", where), len(options), where=where, field="target"),
        subject=str(row.get("subject") or ""),
        source=str(row.get("source") or "file"),
    )


# ---------------------------------------------------------------- local files


def _files(path: str) -> list[Path]:
    p = Path(path).expanduser()
    if any(ch in path for ch in "*?["):
        found = sorted(Path(p.anchor or ".").glob(str(p.relative_to(p.anchor or "."))))
    elif p.is_dir():
        found = sorted(f for f in p.rglob("*") if f.suffix.lower() in SUFFIXES)
    elif p.exists():
        found = [p]
    else:
        raise DataError(
            "file not found", path=path, field="dataset.path", fix="point it at a dataset file"
        )
    files = [f for f in found if f.is_file()]
    if not files:
        raise DataError(
            f"no dataset files ({', '.join(SUFFIXES)}) here",
            path=path,
            field="dataset.path",
            fix="point it at a dataset file or folder",
        )
    return files


def _from_rows(
    spec: DatasetSpec, rows: Iterable[dict[str, Any]], where: str, category: str, start: int = 0
) -> list[MCQuestion]:
    out = []
    for i, row in enumerate(rows, start):
        at = f"{where}#{i}"
        try:
            if spec.source == "gpqa":
                out.append(gpqa_question(row, i, at))
            elif spec.source == "mmlu":
                out.append(mmlu_question(row, i, at, spec.split or ""))
            elif spec.source == "mwe":
                out.append(mwe_question(row, i, at, category, spec.aligned))
            else:
                out.append(generic_question(row, i, at))
        except ValidationError as exc:
            e = exc.errors()[0]
            field = ".".join(str(p) for p in e["loc"]) or None
            raise DataError(e["msg"], path=at, field=field, fix="fix the row") from None
    return out


def load_files(spec: DatasetSpec) -> list[MCQuestion]:
    """Questions from local files in the source's public schema."""
    assert spec.path is not None
    out: list[MCQuestion] = []
    for f in _files(spec.path):
        rows = read_rows(f)
        # MWE files are named after their subset; ids must be unique across files
        out += _from_rows(spec, rows, str(f), f.stem)
    return out


# ---------------------------------------------------------------- hub


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes") or os.environ.get(
        "HF_DATASETS_OFFLINE", ""
    ).lower() in ("1", "true", "yes")


def _hub_error(exc: Exception, name: str, spec: DatasetSpec) -> Exception:
    """Turn what `datasets` raised into one line that says what to do."""
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    kind = type(exc).__name__
    gated = "gated" in msg.lower() or kind in ("GatedRepoError",) or "401" in msg or "403" in msg
    local_fix = f"download it where the hub is reachable and set dataset.path to the file (schema of {name})"
    if gated:
        return EnvironmentProblem(
            f"dataset {name} is gated on the Hugging Face hub and the request was refused ({msg})",
            field=spec.token_env,
            fix=f"accept its terms on the hub and export {spec.token_env}=<token>, or {local_fix}",
        )
    if _offline() or isinstance(exc, ConnectionError) or "offline" in msg.lower():
        return EnvironmentProblem(
            f"dataset {name} is not cached and the hub is unreachable ({msg})",
            field="dataset.source",
            fix=local_fix,
        )
    if kind in ("DatasetNotFoundError", "FileNotFoundError", "RepositoryNotFoundError"):
        return DataError(
            f"dataset {name} (config {spec.config!r}, split {spec.split!r}) was not found ({msg})",
            field="dataset.hub_name",
            fix="check the name, config and split",
        )
    if isinstance(exc, ValueError):  # e.g. an unknown config or split
        return ConfigError(msg, field="dataset.config", fix="check the config and split names")
    return EnvironmentProblem(f"loading {name} failed ({kind}: {msg})", field="dataset.source")


def _hub_load(repo: str, spec: DatasetSpec, **kw: Any) -> Any:
    import datasets

    token = os.environ.get(spec.token_env) or None
    if spec.source in GATED and token is None and not _offline():
        raise EnvironmentProblem(
            f"dataset {repo} is gated on the Hugging Face hub and needs a token",
            field=spec.token_env,
            fix=f"accept its terms on the hub and export {spec.token_env}=<token>, or set dataset.path",
        )
    try:
        return datasets.load_dataset(repo, token=token, **kw)
    except Exception as exc:  # datasets raises many kinds; each becomes one clear line
        raise _hub_error(exc, repo, spec) from None


def load_hub(spec: DatasetSpec) -> list[MCQuestion]:
    """Questions from the Hugging Face hub through `datasets` (or its local cache)."""
    name = spec.hub_name or HUB_NAMES[spec.source]
    if spec.source == "gpqa":
        config = spec.config or "diamond"
        config = config if config.startswith("gpqa_") else f"gpqa_{config}"
        split = spec.split or "train"
        ds = _hub_load(name, spec, name=config, split=split)
        return _from_rows(spec, ds, f"hub:{name}/{config}/{split}", config)
    if spec.source == "mmlu":
        config = spec.config or "all"
        split = spec.split or "test"
        ds = _hub_load(name, spec, name=config, split=split)
        spec = spec.model_copy(update={"split": split})
        return _from_rows(spec, ds, f"hub:{name}/{config}/{split}", config)
    if spec.source == "mwe":
        cats = spec.categories or list(MWE_CATEGORIES)
        files = {c.replace("-", "_"): f"{MWE_DIR}/{c}.jsonl" for c in cats}
        dd = _hub_load(name, spec, data_files=files)
        out: list[MCQuestion] = []
        for c in cats:
            out += _from_rows(spec, dd[c.replace("-", "_")], f"hub:{name}/{MWE_DIR}/{c}", c)
        return out
    raise ConfigError(
        f"source {spec.source!r} has no hub dataset",
        field="dataset.source",
        fix="set dataset.path to local files",
    )


# ---------------------------------------------------------------- selection


def _select(spec: DatasetSpec, qs: list[MCQuestion]) -> list[MCQuestion]:
    if spec.source == "mwe" and spec.categories and spec.path is not None:
        qs = [q for q in qs if q.subject in spec.categories]
    if spec.per_subject is not None:
        seen: dict[str, int] = {}
        kept = []
        for q in qs:
            n = seen.get(q.subject, 0)
            if n < spec.per_subject:
                kept.append(q)
                seen[q.subject] = n + 1
        qs = kept
    if spec.max_questions is not None:
        qs = qs[: spec.max_questions]
    ids = [q.id for q in qs]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise DataError(
            f"question id {dup!r} appears twice", field="id", fix="make question ids unique"
        )
    if not qs:
        raise DataError(
            "the dataset selected no questions", field="dataset", fix="check the filters"
        )
    return qs


def load_questions(spec: DatasetSpec) -> list[MCQuestion]:
    """The questions `spec` selects, in a stable order."""
    if spec.source == "procedural":
        qs = generate(spec.n, spec.difficulty, seed=spec.seed, n_options=spec.n_options)
    elif spec.path is not None:
        qs = load_files(spec)
    else:
        qs = load_hub(spec)
    return _select(spec, qs)
