"""Import inspect_ai `.eval` logs: a zip of the eval header and one JSON per (sample, epoch).

Epochs are seeds. A sample's score becomes its outcome:
- multiple choice (the sample lists `choices` and its target is one option letter):
  a ChoiceOutcome, one-hot on the answered letter; an answer that names no option is
  the uniform distribution, marked unparsed (METHODS.md §2a);
- otherwise a binary outcome: "C" (or true, or 1) passes; "I", "N", "P", false, 0 fail.
  It is stored as a one-test TestOutcome, so the §2b decomposition applies with T = 1.
A sample that ended in an error has no outcome: it is MISSING with the error's message.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

from agentbench.config import ModelConfig, SystemConfig
from agentbench.errors import DataError
from agentbench.importers.common import ImportSummary, field, summary, write_import
from agentbench.importers.evalzip import EvalArchive
from agentbench.records import (
    ChoiceOutcome,
    ExitStatus,
    SampleKey,
    SampleResult,
    SampleStatus,
    TestOutcome,
    Usage,
)

SOURCE = "inspect_ai"
_SAMPLE = re.compile(r"^samples/(?P<id>.+)_epoch_(?P<epoch>\d+)\.json$")
_HEADERS = ("header.json", "_journal/start.json", "start.json")  # newest layout first
_LIMITS = {
    "message": ExitStatus.MESSAGE_LIMIT,
    "token": ExitStatus.TOKEN_LIMIT,
    "time": ExitStatus.TIME_LIMIT,
    "working": ExitStatus.TIME_LIMIT,
    "cost": ExitStatus.COST_LIMIT,
}
_PASS = {"C": True, "I": False, "N": False, "P": False}


def _provider(model: str) -> str:
    head = model.split("/", 1)[0]
    return head if head in ("openai", "anthropic") else "litellm"


def _header(zf: EvalArchive, where: str) -> tuple[dict[str, Any], str]:
    names = set(zf.names())
    for name in _HEADERS:
        if name in names:
            hw = f"{where}: entry {name}"
            return field(zf.json(name), "eval", hw, dict), hw
    raise DataError(
        "no header.json (nor _journal/start.json) in the archive",
        path=where,
        fix="pass an inspect_ai .eval log",
    )


def _letter_index(text: Any, n: int) -> int | None:
    """'B' -> 1 when there are at least 2 options; anything else -> None."""
    if not isinstance(text, str):
        return None
    s = text.strip().strip("()").strip().upper()
    if len(s) == 1 and "A" <= s <= "Z" and ord(s) - 65 < n:
        return ord(s) - 65
    return None


_OPTION = re.compile(r"^\s*\(?([A-Z])[).:]\s+\S", re.MULTILINE)


def _prompt_text(sample: dict[str, Any]) -> str:
    """The sample's input as text (a string, or the text parts of its messages)."""
    inp = sample.get("input")
    if isinstance(inp, str):
        return inp
    parts: list[str] = []
    for m in inp if isinstance(inp, list) else []:
        c = m.get("content") if isinstance(m, dict) else None
        if isinstance(c, str):
            parts.append(c)
        elif isinstance(c, list):
            parts += [str(x.get("text", "")) for x in c if isinstance(x, dict)]
    return "\n".join(parts)


def _prompt_options(text: str) -> int:
    """How many lettered options ("A) ..", "A. ..", "(A) ..") the prompt lists from A on; 0 if < 2."""
    letters = _OPTION.findall(text)
    n = 0
    for ch in letters:
        if ord(ch) - 65 == n:
            n += 1
    return n if n >= 2 else 0


def _score(sample: dict[str, Any], scorer: str | None, where: str) -> tuple[str, dict[str, Any]]:
    scores = field(sample, "scores", where, dict)
    if not scores:
        raise DataError(
            "sample has no score", path=where, field="scores", fix="score the log first"
        )
    name = scorer if scorer is not None else next(iter(scores))
    if name not in scores:
        raise DataError(
            f"no scorer {name!r} (has {', '.join(scores)})", path=where, field="scores",
            fix="pick one with --scorer",
        )  # fmt: skip
    return name, field(scores, f"{name}", where, dict)


def _binary(value: Any, where: str, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in _PASS:
        return _PASS[value]
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    raise DataError(
        f"score value {value!r} is not binary",
        path=where,
        field=f"scores.{name}.value",
        fix="use a scorer whose values are C/I, true/false or 0/1",
    )


def _usage(sample: dict[str, Any]) -> Usage:
    per_model = sample.get("model_usage")
    items = list(per_model.values()) if isinstance(per_model, dict) else []
    if not items:
        out = sample.get("output") if isinstance(sample.get("output"), dict) else {}
        u = out.get("usage")
        items = [u] if isinstance(u, dict) else []
    tot = Usage()
    for u in items:
        if isinstance(u, dict):
            tot = tot + Usage(
                input_tokens=int(u.get("input_tokens") or 0),
                output_tokens=int(u.get("output_tokens") or 0),
                reasoning_tokens=int(u.get("reasoning_tokens") or 0),
                cached_tokens=int(u.get("input_tokens_cache_read") or 0),
            )
    return tot


def _n_options(sample: dict[str, Any], target: Any, options: int | None, where: str) -> int:
    """Options of a multiple-choice sample (from `choices`, --options or the prompt); 0 if none."""
    choices = sample.get("choices")
    if options is not None:
        if _letter_index(target, options) is None:
            raise DataError(
                f"target {target!r} is not one of the {options} option letters", path=where,
                field="target", fix="check --options N against the task",
            )  # fmt: skip
        return options
    if isinstance(choices, list) and choices and _letter_index(target, len(choices)) is not None:
        return len(choices)
    n = _prompt_options(_prompt_text(sample))
    return n if n and _letter_index(target, n) is not None else 0


def _sample_result(
    sample: dict[str, Any],
    where: str,
    key: SampleKey,
    scorer: str | None,
    notes: list[str],
    options: int | None = None,
) -> SampleResult:
    usage = _usage(sample)
    msgs = sample.get("messages") if isinstance(sample.get("messages"), list) else []
    n_actions = sum(1 for m in msgs if isinstance(m, dict) and m.get("role") == "assistant")
    length = float(usage.output_tokens) if usage.output_tokens else float(n_actions)
    common: dict[str, Any] = {"key": key, "n_actions": n_actions, "length": length, "usage": usage}
    wall = sample.get("total_time")
    if isinstance(wall, int | float):
        common["wall_s"] = float(wall)
    err = sample.get("error")
    if isinstance(err, dict) and err:
        msg = str(err.get("message") or "error").strip().splitlines()[0][:300]
        return SampleResult(
            status=SampleStatus.MISSING, exit_status=ExitStatus.INFRA_ERROR,
            error=f"{SOURCE}: {msg}", **common,
        )  # fmt: skip
    limit = sample.get("limit")
    exit_status = ExitStatus.SUBMITTED
    if isinstance(limit, dict):
        exit_status = _LIMITS.get(str(limit.get("type")), ExitStatus.STEP_LIMIT)
    name, score = _score(sample, scorer, where)
    target = sample.get("target")
    if isinstance(target, list) and len(target) == 1:
        target = target[0]
    n = _n_options(sample, target, options, where)
    if n:
        t_idx = _letter_index(target, n)
        assert t_idx is not None
        a_idx = _letter_index(score.get("answer"), n)
        if a_idx is None:
            probs, parsed = [1.0 / n] * n, False
        else:
            probs, parsed = [0.0] * n, True
            probs[a_idx] = 1.0
        outcome: ChoiceOutcome | TestOutcome = ChoiceOutcome(
            probs=probs, target=t_idx, parsed=parsed, answer_text=str(score.get("answer") or "")
        )
        resolved = a_idx == t_idx
    else:
        ok = _binary(score.get("value"), where, name)
        if score.get("value") == "P":
            notes.append(f"{key.instance_id} epoch {key.seed}: partial credit counted as a fail")
        outcome = TestOutcome(
            tests=[name], passed=[ok], fail_to_pass=[name], pass_to_pass=[], resolved=ok
        )
        resolved = ok
    return SampleResult(
        status=SampleStatus.DONE, outcome=outcome, resolved=resolved, exit_status=exit_status,
        **common,
    )  # fmt: skip


def _kind_line(samples: list[SampleResult]) -> str:
    """What kind of outcome the log was read as, with counts per epoch."""
    widths = sorted({len(s.outcome.probs) for s in samples if isinstance(s.outcome, ChoiceOutcome)})
    n_tests = sum(1 for s in samples if isinstance(s.outcome, TestOutcome))
    per = Counter(s.key.seed for s in samples)
    kinds = []
    if widths:
        kinds.append(f"multiple-choice with {'/'.join(map(str, widths))} options")
    if n_tests:
        kinds.append("pass-fail")
    counts = ", ".join(f"epoch {e}: {n}" for e, n in sorted(per.items()))
    return f"{len(samples)} samples read as {' and '.join(kinds) or 'no outcome'} ({counts})"


class InspectLog(NamedTuple):
    """One parsed .eval log, ready to write."""

    system: SystemConfig
    task: str
    samples: list[SampleResult]
    notes: list[str]
    source_path: str


def read_inspect(
    log: str | Path,
    *,
    system: str | None = None,
    task: str | None = None,
    scorer: str | None = None,
    options: int | None = None,
) -> InspectLog:
    """Parse one inspect_ai .eval log (every sample and epoch) without writing anything."""
    path = Path(log)
    where = str(path)
    if not path.is_file():
        raise DataError("no such file", path=where, fix="pass an inspect_ai .eval log")
    zf = EvalArchive(path)
    notes: list[str] = []
    with zf:
        spec, hw = _header(zf, where)
        model = str(field(spec, "model", hw, str))
        task_name = task or str(field(spec, "task", hw, str))
        gen = spec.get("model_generate_config")
        gen = gen if isinstance(gen, dict) else {}
        temp, top_p = gen.get("temperature"), gen.get("top_p")
        sys_cfg = SystemConfig(
            name=system or model,
            model=ModelConfig(
                provider=_provider(model),  # type: ignore[arg-type]
                name=model,
                temperature=float(temp) if isinstance(temp, int | float) else None,
                top_p=float(top_p) if isinstance(top_p, int | float) else None,
            ),
            scaffold=SOURCE,
        )
        h = sys_cfg.config_hash()
        samples = []
        for name in sorted(zf.names()):
            if _SAMPLE.match(name) is None:
                continue
            sw = f"{where}: entry {name}"
            data = zf.json(name)
            sid = field(data, "id", sw, (str, int))
            epoch = field(data, "epoch", sw, int)
            key = SampleKey(
                task=task_name, instance_id=str(sid), system=sys_cfg.name, system_hash=h,
                seed=int(epoch),
            )  # fmt: skip
            samples.append(_sample_result(data, sw, key, scorer, notes, options))
    if not samples:
        raise DataError("no samples/<id>_epoch_<n>.json in the archive", path=where)
    notes.insert(0, _kind_line(samples))
    return InspectLog(sys_cfg, task_name, samples, notes, where)


def write_inspect(run_dir: str | Path, parsed: InspectLog) -> ImportSummary:
    """Write a parsed log into a run store (one transaction)."""
    spec = {"kind": "imported", "source": SOURCE, "source_path": parsed.source_path}
    if any(isinstance(r.outcome, ChoiceOutcome) for r in parsed.samples):
        spec["outcome"] = "choice"  # `mc report` takes imported multiple-choice tasks
    write_import(Path(run_dir), parsed.system, parsed.task, spec, parsed.samples)
    return summary(SOURCE, Path(run_dir), parsed.task, parsed.system, parsed.samples, parsed.notes)


def import_inspect(
    run_dir: str | Path,
    log: str | Path,
    *,
    system: str | None = None,
    task: str | None = None,
    scorer: str | None = None,
    options: int | None = None,
) -> ImportSummary:
    """Import one inspect_ai .eval log (every sample and epoch) into a run store."""
    parsed = read_inspect(log, system=system, task=task, scorer=scorer, options=options)
    return write_inspect(run_dir, parsed)
