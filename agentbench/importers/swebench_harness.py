"""Import SWE-bench harness runs: logs/run_evaluation/<run_id>/<model>/<instance_id>/.

Each instance folder holds what `swebench.harness.run_evaluation` wrote: test_output.txt,
report.json, eval.sh, patch.diff and run_instance.log. The per-test vector comes from
re-parsing test_output.txt with the repo's swebench parser (agentbench's outcome_from_log),
over FAIL_TO_PASS + PASS_TO_PASS from the dataset row when given, else from report.json's
tests_status. Where report.json grades a test otherwise than the log, the sample keeps the
log's grading and says so in its grading_notes and in the summary (never a silent choice).
Systems are the model folders; the run folders, in the order given, are seeds 0, 1, ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentbench.config import ModelConfig, SystemConfig
from agentbench.errors import DataError
from agentbench.importers.common import ImportSummary, summary, write_import
from agentbench.importers.patchtraj import write_patch_trajectory
from agentbench.records import ExitStatus, SampleKey, SampleResult, SampleStatus, TestOutcome
from agentbench.rows import read_rows
from agentbench.safeio import loads_json
from agentbench.tasks.swebench.evalscript import APPLY_PATCH_FAIL
from agentbench.tasks.swebench.grading import REPO_PARSERS, UngradableLog, outcome_from_log
from agentbench.tasks.swebench.schema import SWEInstance

SOURCE = "swebench-harness"
F2P, P2P = "FAIL_TO_PASS", "PASS_TO_PASS"
FILES = ("test_output.txt", "report.json")


@dataclass
class DatasetRow:
    """What the importer knows of one instance before reading its logs."""

    repo: str
    f2p: list[str]
    p2p: list[str]
    parser: str | None = None


@dataclass
class _Parsed:
    """One instance folder, read and graded, not yet written."""

    model: str
    seed: int
    iid: str
    sample: dict[str, Any]
    patch: str
    task_info: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def _read(path: Path) -> str:
    """A text file, or a one-line error naming it."""
    if not path.is_file():
        raise DataError(
            "missing",
            path=str(path),
            fix="pass the harness's run folder logs/run_evaluation/<run_id> "
            "(each instance folder needs test_output.txt and report.json)",
        )
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise DataError(
            f"cannot read ({exc.strerror})", path=str(path), fix="check its permissions"
        ) from None


def dataset_rows(path: Path | None) -> dict[str, DatasetRow]:
    """instance id -> repo and test lists, from SWE-bench rows (JSON, JSONL, CSV or Parquet)."""
    if path is None:
        return {}
    out = {}
    for i, row in enumerate(read_rows(path)):
        where = f"{path}: row {i + 1}"
        lists = []
        for name in (F2P, P2P):
            v = row.get(name)
            if isinstance(v, str):  # the hub stores these as JSON text
                v = loads_json(v, source=f"{where}: {name}")
            if not isinstance(v, list) or not isinstance(row.get("instance_id"), str):
                raise DataError(
                    "not a SWE-bench row", path=where, field=name, fix="pass SWE-bench rows"
                )
            lists.append([str(t) for t in v])
        repo = str(row.get("repo") or "")
        out[row["instance_id"]] = DatasetRow(repo, lists[0], lists[1], row.get("log_parser"))
    return out


def _repo_of(iid: str) -> str:
    """'django__django-11099' -> 'django/django' (the harness's instance id convention)."""
    owner, _, rest = iid.partition("__")
    return f"{owner}/{rest.rsplit('-', 1)[0]}" if rest else ""


def _parser(iid: str, row: DatasetRow, where: Path) -> str:
    """The swebench parser for the instance's repo, or a one-line error."""
    from swebench.harness.log_parsers import PARSER_REGISTRY

    name = row.parser or REPO_PARSERS.get(row.repo)
    if name is not None and not name.startswith("parse_log_"):
        name = f"parse_log_{name}"
    if name is None or name not in PARSER_REGISTRY:
        raise DataError(
            f"no swebench log parser known for repo {row.repo or '?'!r}",
            path=str(where),
            fix="pass --dataset with rows that carry a log_parser column for this instance",
        )
    return name


def _report_entry(path: Path, iid: str) -> dict[str, Any]:
    """The instance's entry in report.json, checked."""
    data = loads_json(_read(path), source=str(path))
    entry = data.get(iid) if isinstance(data, dict) else None
    if not isinstance(entry, dict) or not isinstance(entry.get("resolved"), bool):
        raise DataError(
            f"no {{{iid!r}: {{resolved: ...}}}} entry",
            path=str(path),
            fix="pass the report.json swebench's run_evaluation wrote for this instance",
        )
    st = entry.get("tests_status")
    if st is not None:
        for g in (F2P, P2P):
            for k in ("success", "failure"):
                if not isinstance((st.get(g) or {}).get(k) if isinstance(st, dict) else None, list):
                    raise DataError(
                        "expected a list of test ids",
                        path=str(path),
                        field=f"{iid}.tests_status.{g}.{k}",
                        fix="pass the report.json swebench's run_evaluation wrote",
                    )
    return entry


def _harness_end(d: Path) -> str | None:
    """Why the harness left no report.json: 'timeout', 'apply', or a one-line error."""
    out, inst_log = d / "test_output.txt", d / "run_instance.log"
    if out.is_file() and "Timeout error: " in _read(out):
        return "timeout"
    if not out.is_file() and inst_log.is_file() and APPLY_PATCH_FAIL in _read(inst_log):
        return "apply"
    _read(d / "report.json")  # raises: missing, with the fix
    return None


def _disagreement(names: list[str], passed: list[bool], st: dict[str, Any] | None) -> list[str]:
    """Tests report.json grades otherwise than the re-parsed log, one phrase each."""
    if st is None:
        return ["report.json has no tests_status (patch not applied) but the log ran the tests"]
    ok = {*st[F2P]["success"], *st[P2P]["success"]}
    out = []
    for t, p in zip(names, passed, strict=True):
        if (t in ok) != p:
            out.append(
                f"{t}: report.json {'passed' if t in ok else 'failed'}, log {'passed' if p else 'failed'}"
            )
    return out


def _instance(d: Path, model: str, seed: int, rows: dict[str, DatasetRow]) -> _Parsed:
    """Read and grade one instance folder of a harness run."""
    iid = d.name
    report_path, log_path = d / "report.json", d / "test_output.txt"
    # the harness writes no report.json when the tests timed out or the patch did not apply
    ended = None if report_path.is_file() else _harness_end(d)
    entry = {} if ended else _report_entry(report_path, iid)
    st = entry.get("tests_status")
    row = rows.get(iid)
    if row is None:
        if st is None:
            raise DataError(
                "no tests_status and no dataset row: the test lists are unknown",
                path=str(report_path),
                fix="pass --dataset with this instance's SWE-bench row",
            )
        row = DatasetRow(
            _repo_of(iid),
            sorted({*st[F2P]["success"], *st[F2P]["failure"]}),
            sorted({*st[P2P]["success"], *st[P2P]["failure"]}),
        )
    if st is not None:
        named = {*st[F2P]["success"], *st[F2P]["failure"], *st[P2P]["success"], *st[P2P]["failure"]}
        extra = sorted(named - {*row.f2p, *row.p2p})
        if extra:
            raise DataError(
                f"names {len(extra)} test(s) outside the instance's test lists, e.g. {extra[0]!r}",
                path=str(report_path),
                field=f"{iid}.tests_status",
                fix="import reports graded against the same dataset version as --dataset",
            )
    parser = _parser(iid, row, d)
    eval_sh = d / "eval.sh"
    script = _read(eval_sh) if eval_sh.is_file() else ""
    patch_file = d / "patch.diff"
    patch = _read(patch_file) if patch_file.is_file() else ""
    inst = SWEInstance(
        repo=row.repo or "unknown/unknown", instance_id=iid, base_commit="unknown", patch="",
        test_patch="", problem_statement="", FAIL_TO_PASS=row.f2p, PASS_TO_PASS=row.p2p,
    )  # fmt: skip
    spec = _spec(inst, parser, script)
    info = {
        "source": SOURCE,
        "harness_dir": str(d),
        "eval_script": script,
        "grading_log": str(log_path),
    }
    common = {"n_actions": 0, "length": None}
    notes: list[str] = []
    where = f"{d.parent.parent.name}/{model}/{iid}"
    if ended == "apply" or (not log_path.is_file() and st is None):
        # the harness writes no test output when the patch did not apply: all tests fail
        outcome = TestOutcome(
            tests=inst.tests, passed=[False] * len(inst.tests), fail_to_pass=row.f2p,
            pass_to_pass=row.p2p, resolved=False, patch_applied=False,
            grading_notes=["harness: patch did not apply (run_instance.log)"] if ended else [],
        )  # fmt: skip
        if ended:
            notes.append(f"{where}: patch did not apply (run_instance.log): every test failed")
    else:
        text = _read(log_path)
        try:
            outcome = outcome_from_log(
                inst, spec, text, timed_out=ended == "timeout", path=str(log_path)
            )
        except UngradableLog as exc:
            notes.append(f"{where}: left MISSING: {exc}")
            sample = {"status": SampleStatus.MISSING, "exit_status": ExitStatus.INFRA_ERROR,
                      "error": f"import: {exc}", **common}  # fmt: skip
            return _Parsed(model, seed, iid, sample, patch, info, notes)
        if ended == "timeout":
            notes.append(
                f"{where}: tests timed out (test_output.txt): every test failed, as in agentbench's own timeouts"
            )
        diff = [] if ended else _disagreement(inst.tests, outcome.passed, st)
        if diff:
            flag = (
                f"log and report.json disagree on {len(diff)} test(s); kept the log's grading: "
                + "; ".join(diff)
            )
            outcome.grading_notes = [*outcome.grading_notes, flag]
            notes.append(f"{where}: {flag}")
    sample = {"status": SampleStatus.DONE, "outcome": outcome, "resolved": outcome.resolved,
              "exit_status": ExitStatus.SUBMITTED, **common}  # fmt: skip
    return _Parsed(model, seed, iid, sample, patch, info, notes)


def _spec(inst: SWEInstance, parser: str, script: str) -> Any:
    """swebench's TestSpec carrying the instance's test lists and parser."""
    from swebench.harness.utils import make_test_spec

    return make_test_spec(
        {
            "instance_id": inst.instance_id, "repo": inst.repo, "image": "imported",
            "version": "", "FAIL_TO_PASS": inst.FAIL_TO_PASS, "PASS_TO_PASS": inst.PASS_TO_PASS,
            "log_parser": parser, "eval_type": "pass_and_fail", "eval_script": script or "#!/bin/bash\n",
        }
    )  # fmt: skip


def _model_dirs(run: Path) -> list[Path]:
    """The model folders of one harness run folder (logs/run_evaluation/<run_id>)."""
    if not run.is_dir():
        raise DataError("no such folder", path=str(run), fix="pass logs/run_evaluation/<run_id>")
    models = sorted(p for p in run.iterdir() if p.is_dir())
    if not models or not any(i.is_dir() for m in models for i in m.iterdir()):
        raise DataError(
            "no <model>/<instance_id>/ folders here",
            path=str(run),
            fix="pass the harness's logs/run_evaluation/<run_id> folder",
        )
    if not any((i / f).is_file() for m in models for i in m.iterdir() for f in FILES):
        deeper = [
            r
            for r in models
            if any(i.is_dir() for m in r.iterdir() if m.is_dir() for i in m.iterdir())
        ]
        if deeper:  # logs/run_evaluation itself: its children are run ids
            raise DataError(
                "this holds run folders, not model folders",
                path=str(run),
                fix=f"pass its run_id folders, one per seed: {', '.join(str(r) for r in deeper[:3])}",
            )
    return models


def import_swebench_harness(
    run_dir: str | Path,
    runs: list[Path],
    *,
    dataset: Path | None = None,
    task: str = "swebench",
    system: str | None = None,
) -> list[ImportSummary]:
    """Import harness run folders (one seed each, in order) into a run store; one summary per model."""
    rd = Path(run_dir)
    rows = dataset_rows(dataset)
    parsed: list[_Parsed] = []
    for seed, run in enumerate(runs):
        for m in _model_dirs(Path(run)):
            for d in sorted(p for p in m.iterdir() if p.is_dir()):
                parsed.append(_instance(d, m.name, seed, rows))
    if system is not None and len({p.model for p in parsed}) > 1:
        raise DataError(
            "--system names one system but the runs hold several model folders",
            path=str(runs[0]),
            fix="leave --system out (systems are the model folders) or import one model at a time",
        )
    out = []
    for model in sorted({p.model for p in parsed}):
        name = system or model.replace("__", "/")
        sys_cfg = SystemConfig(
            name=name, model=ModelConfig(provider="litellm", name=model.replace("__", "/")),
            scaffold=SOURCE,
        )  # fmt: skip
        h = sys_cfg.config_hash()
        samples, notes = [], []
        for p in (p for p in parsed if p.model == model):
            key = SampleKey(task=task, instance_id=p.iid, system=name, system_hash=h, seed=p.seed)
            rel = write_patch_trajectory(
                rd, key, sys_cfg, patch=p.patch, exit_status=p.sample["exit_status"],
                task_info=p.task_info,
            )  # fmt: skip
            samples.append(SampleResult(key=key, trajectory_path=rel, **p.sample))
            notes.extend(p.notes)
        spec = {"kind": "imported", "source": SOURCE, "source_path": [str(r) for r in runs]}
        write_import(rd, sys_cfg, task, spec, samples)
        out.append(summary(SOURCE, rd, task, sys_cfg, samples, notes))
    return out
