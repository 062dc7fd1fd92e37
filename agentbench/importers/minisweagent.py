"""Import mini-swe-agent runs (`*.traj.json`) graded by the SWE-bench harness (`report.json`).

One import is one seed: run mini-swe-agent N times (output folders out_0 .. out_N-1),
grade each with the harness, and import each pair with its own `seed`. Re-importing a
seed replaces its samples (sample keys are content-derived).

Mapping (METHODS.md §2b):
- exit "Submitted" with a non-empty patch and a harness report with tests_status:
  the per-test vector FAIL_TO_PASS + PASS_TO_PASS from the report's success/failure lists.
- a report whose patch did not apply: every test fails (as our own grader does).
- "LimitsExceeded", or no patch: graded "unchanged" (PASS_TO_PASS pass, FAIL_TO_PASS fail).
- any other exit status is an exception name from the batch runner (a crash, not an
  agent outcome): the sample is MISSING with that reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentbench.config import LimitsConfig, ModelConfig, SystemConfig
from agentbench.errors import DataError
from agentbench.importers.common import ImportSummary, field, summary, write_import
from agentbench.importers.patchtraj import write_patch_trajectory
from agentbench.importers.swebench_harness import F2P, P2P, dataset_rows
from agentbench.records import (
    ExitStatus,
    SampleKey,
    SampleResult,
    SampleStatus,
    TestOutcome,
)
from agentbench.safeio import loads_json
from agentbench.store.runstore import RunStore
from agentbench.store.schema import DB_NAME

SOURCE = "mini-swe-agent"


class _Tests:
    """The graded test lists of one instance, in one fixed order for every unroll."""

    def __init__(self, f2p: list[str], p2p: list[str]) -> None:
        self.f2p = list(f2p)
        self.p2p = list(p2p)

    @property
    def names(self) -> list[str]:
        """FAIL_TO_PASS then PASS_TO_PASS, the order of every outcome vector."""
        return [*self.f2p, *self.p2p]


def _found_files(
    path: Path, pattern: str, *, option: str | None, missing_fix: str, empty_fix: str
) -> list[Path]:
    """`path` itself if it is a file, else the files matching `pattern` below it (sorted)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DataError("no such file or folder", path=str(path), field=option, fix=missing_fix)
    files = sorted(path.rglob(pattern))
    if not files:
        raise DataError(f"no {pattern} files here", path=str(path), fix=empty_fix)
    return files


def _trajectory_files(trajs: Path) -> list[Path]:
    """The mini-swe-agent trajectory files at `trajs` (one file, or a run's output folder)."""
    return _found_files(
        trajs,
        "*.traj.json",
        option=None,
        missing_fix="pass the --output folder",
        empty_fix="pass the folder mini-swe-agent wrote (its -o/--output)",
    )


def _reports(reports: Path | None) -> dict[str, tuple[dict[str, Any], str]]:
    """instance id -> (its harness report entry, the file it came from)."""
    if reports is None:
        return {}
    files = _found_files(
        reports,
        "report.json",
        option="--reports",
        missing_fix="pass the SWE-bench harness report.json folder (or file)",
        empty_fix="pass the harness log folder (logs/run_evaluation/<run_id>)",
    )
    out: dict[str, tuple[dict[str, Any], str]] = {}
    for f in files:
        data = loads_json(f.read_bytes(), source=str(f))
        if not isinstance(data, dict) or not data:
            raise DataError(
                "expected {instance_id: report}", path=str(f), fix="pass SWE-bench report.json"
            )
        for iid, entry in data.items():
            where = str(f)
            field(entry, "resolved", where + f" [{iid}]", bool)
            if "tests_status" in entry:
                for group in (F2P, P2P):
                    for key in ("success", "failure"):
                        field(entry, f"tests_status.{group}.{key}", where, list)
            out[str(iid)] = (entry, where)
    return out


def _preds(trajs: Path) -> dict[str, str | None]:
    """instance id -> model_patch from the batch run's preds.json, if it wrote one."""
    f = (trajs if trajs.is_dir() else trajs.parent) / "preds.json"
    if not trajs.is_dir() and not f.is_file():
        f = trajs.parent.parent / "preds.json"  # <output>/<iid>/<iid>.traj.json
    if not f.is_file():
        return {}
    data = loads_json(f.read_bytes(), source=str(f))
    if not isinstance(data, dict):
        raise DataError(
            "expected {instance_id: {model_patch: ...}}",
            path=str(f),
            fix="pass the folder mini-swe-agent's swebench batch run wrote",
        )
    out: dict[str, str | None] = {}
    for iid, entry in data.items():
        out[str(iid)] = field(entry, "model_patch", f"{f} [{iid}]", (str, type(None)))
    return out


def _dataset_tests(dataset: Path | None) -> dict[str, _Tests]:
    """FAIL_TO_PASS / PASS_TO_PASS per instance from a SWE-bench dataset file (JSON or JSONL)."""
    return {iid: _Tests(row.f2p, row.p2p) for iid, row in dataset_rows(dataset).items()}


def _store_tests(run_dir: Path, task: str) -> dict[str, _Tests]:
    """Test lists (and their order) of instances already graded in the store."""
    if not (run_dir / DB_NAME).is_file():
        return {}
    out: dict[str, _Tests] = {}
    with RunStore.open(run_dir) as store:
        for r in store.iter_results(task=task, status=SampleStatus.DONE):
            o = r.outcome
            if isinstance(o, TestOutcome) and r.key.instance_id not in out:
                out[r.key.instance_id] = _Tests(o.fail_to_pass, o.pass_to_pass)
    return out


def _limits(cfg: dict[str, Any]) -> LimitsConfig:
    agent = cfg.get("agent") if isinstance(cfg.get("agent"), dict) else {}
    kw: dict[str, Any] = {}
    if isinstance(agent.get("step_limit"), int) and agent["step_limit"] > 0:
        kw["max_steps"] = agent["step_limit"]
    if isinstance(agent.get("cost_limit"), int | float) and agent["cost_limit"] > 0:
        kw["max_cost_usd"] = float(agent["cost_limit"])
    return LimitsConfig(**kw)


def _system(name: str | None, cfg: dict[str, Any], model: str) -> SystemConfig:
    mcfg = cfg.get("model") if isinstance(cfg.get("model"), dict) else {}
    kwargs = mcfg.get("model_kwargs") if isinstance(mcfg.get("model_kwargs"), dict) else {}
    temp = kwargs.get("temperature")
    return SystemConfig(
        name=name or model,
        model=ModelConfig(
            provider="litellm",  # mini-swe-agent reaches models through litellm
            name=model,
            temperature=float(temp) if isinstance(temp, int | float) else None,
        ),
        scaffold=SOURCE,
        limits=_limits(cfg),
    )


def _outcome(
    tests: _Tests, entry: dict[str, Any] | None, where: str, unchanged: bool
) -> TestOutcome:
    """The per-test vector of one unroll, in the instance's fixed test order."""
    names = tests.names
    if unchanged or entry is None:
        passed = [False] * len(tests.f2p) + [True] * len(tests.p2p)
        return TestOutcome(
            tests=names, passed=passed, fail_to_pass=tests.f2p, pass_to_pass=tests.p2p,
            resolved=all(passed), unchanged=True, patch_applied=False,
        )  # fmt: skip
    status = entry.get("tests_status")
    if status is None:  # patch did not apply: nothing ran, every test fails
        return TestOutcome(
            tests=names, passed=[False] * len(names), fail_to_pass=tests.f2p,
            pass_to_pass=tests.p2p, resolved=False, patch_applied=False,
        )  # fmt: skip
    success = set(status[F2P]["success"]) | set(status[P2P]["success"])
    graded = success | set(status[F2P]["failure"]) | set(status[P2P]["failure"])
    if graded != set(names):
        raise DataError(
            f"graded tests differ from the instance's test list ({len(graded)} vs {len(names)})",
            path=where,
            field="tests_status",
            fix="import reports of one dataset version; pass --dataset for the test lists",
        )
    passed = [t in success for t in names]
    return TestOutcome(
        tests=names, passed=passed, fail_to_pass=tests.f2p, pass_to_pass=tests.p2p,
        resolved=bool(entry["resolved"]) and all(passed),
    )  # fmt: skip


def _tests_of(
    iid: str,
    entry: dict[str, Any] | None,
    known: dict[str, _Tests],
) -> _Tests | None:
    if iid in known:
        return known[iid]
    if entry is not None and "tests_status" in entry:
        st = entry["tests_status"]
        t = _Tests(
            sorted({*st[F2P]["success"], *st[F2P]["failure"]}),
            sorted({*st[P2P]["success"], *st[P2P]["failure"]}),
        )
        known[iid] = t  # every other unroll of this instance uses the same order
        return t
    return None


def import_minisweagent(
    run_dir: str | Path,
    trajs: str | Path,
    reports: str | Path | None = None,
    *,
    seed: int = 0,
    system: str | None = None,
    task: str = "swebench",
    dataset: str | Path | None = None,
) -> ImportSummary:
    """Import one mini-swe-agent batch run (one seed) and its harness reports into a run store."""
    rd = Path(run_dir)
    files = _trajectory_files(Path(trajs))
    reps = _reports(None if reports is None else Path(reports))
    preds = _preds(Path(trajs))
    known = {**_dataset_tests(None if dataset is None else Path(dataset)), **_store_tests(rd, task)}
    parsed = []
    models: set[str] = set()
    cfg: dict[str, Any] = {}
    for f in files:
        data = loads_json(f.read_bytes(), source=str(f))
        fmt = field(data, "trajectory_format", str(f), str)
        if not fmt.startswith("mini-swe-agent"):
            raise DataError(
                f"trajectory_format {fmt!r} is not mini-swe-agent's",
                path=str(f),
                field="trajectory_format",
            )
        info = field(data, "info", str(f), dict)
        field(data, "info.exit_status", str(f), (str, type(None)))
        field(data, "messages", str(f), list)
        c = info.get("config") if isinstance(info.get("config"), dict) else {}
        model = (
            (c.get("model") or {}).get("model_name") if isinstance(c.get("model"), dict) else None
        )
        if model:
            models.add(str(model))
            cfg = cfg or c
        iid = data.get("instance_id") or f.name.removesuffix(".traj.json")
        parsed.append((str(iid), data, str(f)))
    if len(models) > 1 and system is None:
        raise DataError(
            f"trajectories come from several models ({', '.join(sorted(models))})",
            path=str(trajs),
            field="info.config.model.model_name",
            fix="import each model's folder separately, or name the system with --system",
        )
    sys_cfg = _system(system, cfg, next(iter(models)) if models else "unknown")
    h = sys_cfg.config_hash()
    for iid, (entry, _) in reps.items():  # fix each instance's test order before any unroll
        _tests_of(iid, entry, known)
    notes: list[str] = []
    samples = []
    patches: dict[str, tuple[str, str]] = {}  # sample key -> (its patch, its trajectory file)
    for iid, data, where in parsed:
        info = data["info"]
        key = SampleKey(task=task, instance_id=iid, system=sys_cfg.name, system_hash=h, seed=seed)
        stats = info.get("model_stats") if isinstance(info.get("model_stats"), dict) else {}
        n_calls = stats.get("api_calls")
        n_actions = (
            int(n_calls)
            if isinstance(n_calls, int)
            else sum(
                1 for m in data["messages"] if isinstance(m, dict) and m.get("role") == "assistant"
            )
        )
        cost = stats.get("instance_cost")
        common = {
            "key": key,
            "n_actions": n_actions,
            "length": float(n_actions),
            "cost_usd": float(cost) if isinstance(cost, int | float) else None,
        }
        exit_raw = info.get("exit_status")
        patch = info.get("submission") if isinstance(info.get("submission"), str) else ""
        if exit_raw == "Submitted":
            # preds.json holds the same submission; it stands in where the trajectory lacks it
            pred = preds.get(iid)
            if not patch and pred:
                patch = pred
            elif pred is not None and patch and pred != patch:
                notes.append(f"{iid}: preds.json's model_patch differs from the trajectory's "
                             "submission; kept the trajectory's")  # fmt: skip
        if exit_raw == "Submitted":
            exit_status, unchanged = ExitStatus.SUBMITTED, not patch.strip()
        elif exit_raw == "LimitsExceeded":
            limits = sys_cfg.limits
            by_cost = (
                limits.max_cost_usd is not None
                and isinstance(cost, int | float)
                and cost >= limits.max_cost_usd
            )
            exit_status = ExitStatus.COST_LIMIT if by_cost else ExitStatus.STEP_LIMIT
            unchanged = True
        else:
            detail = (patch or "").strip().splitlines()[:1]
            samples.append(
                SampleResult(
                    status=SampleStatus.MISSING,
                    exit_status=ExitStatus.INFRA_ERROR,
                    error=f"{SOURCE}: {exit_raw}" + (f": {detail[0][:200]}" if detail else ""),
                    **common,
                )
            )
            continue
        entry, rep_where = reps.get(iid, (None, where))
        tests = _tests_of(iid, entry, known)
        if tests is None:
            samples.append(
                SampleResult(
                    status=SampleStatus.MISSING,
                    exit_status=exit_status,
                    error="import: no harness report and no test list for this instance "
                    "(pass --reports or --dataset)",
                    **common,
                )
            )
            continue
        if entry is None and not unchanged:
            notes.append(f"{iid}: submitted a patch but has no harness report; left MISSING")
            samples.append(
                SampleResult(
                    status=SampleStatus.MISSING,
                    exit_status=exit_status,
                    error="import: patch submitted but not graded (no report.json)",
                    **common,
                )
            )
            continue
        outcome = _outcome(tests, entry, rep_where, unchanged)
        samples.append(
            SampleResult(
                status=SampleStatus.DONE,
                outcome=outcome,
                resolved=outcome.resolved,
                exit_status=exit_status,
                **common,
            )
        )
        patches[key.key] = (patch if exit_raw == "Submitted" else "", where)
    spec = {"kind": "imported", "source": SOURCE, "source_path": str(trajs)}
    if not samples:
        write_import(rd, sys_cfg, task, spec, samples)  # its one-line "nothing to import"
    # each graded unroll keeps its patch where the viewer and patch clustering read it
    samples = [
        s.model_copy(update={"trajectory_path": write_patch_trajectory(
            rd, s.key, sys_cfg, patch=patches[s.key.key][0], exit_status=s.exit_status,
            task_info={"source": SOURCE, "trajectory": patches[s.key.key][1]},
            n_actions=s.n_actions, cost_usd=s.cost_usd,
        )}) if s.key.key in patches and s.exit_status is not None else s
        for s in samples
    ]  # fmt: skip
    write_import(rd, sys_cfg, task, spec, samples)
    return summary(SOURCE, rd, task, sys_cfg, samples, notes)
