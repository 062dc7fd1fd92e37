"""Grade a patch in a fresh container: per-test pass/fail over FAIL_TO_PASS ∪ PASS_TO_PASS."""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentbench.errors import ConfigError, DataError, InfraError
from agentbench.logging import get_logger
from agentbench.records import TestOutcome
from agentbench.tasks.swebench import evalscript
from agentbench.tasks.swebench.capped_log import CappedLog
from agentbench.tasks.swebench.environment import DETERMINISM_ENV, WORKDIR
from agentbench.tasks.swebench.schema import SWEInstance
from agentbench.tasks.swebench.suites import Suite

if TYPE_CHECKING:
    import docker
    from swebench.types import TestSpec

log = get_logger(__name__)

GRADER_LABEL = "agentbench.role"
EXCERPT_CHARS = 2000

# swebench 5.x takes the parser from each row; classic hub rows lack it, so map by repo.
REPO_PARSERS = {
    "astropy/astropy": "parse_log_astropy",
    "django/django": "parse_log_django",
    "marshmallow-code/marshmallow": "parse_log_marshmallow",
    "matplotlib/matplotlib": "parse_log_matplotlib",
    "mwaskom/seaborn": "parse_log_seaborn",
    "pallets/flask": "parse_log_flask",
    "psf/requests": "parse_log_requests",
    "pvlib/pvlib-python": "parse_log_pvlib",
    "pydata/xarray": "parse_log_xarray",
    "pydicom/pydicom": "parse_log_pydicom",
    "pylint-dev/astroid": "parse_log_astroid",
    "pylint-dev/pylint": "parse_log_pylint",
    "pytest-dev/pytest": "parse_log_pytest",
    "pyvista/pyvista": "parse_log_pyvista",
    "scikit-learn/scikit-learn": "parse_log_scikit",
    "sphinx-doc/sphinx": "parse_log_sphinx",
    "sqlfluff/sqlfluff": "parse_log_sqlfluff",
    "sympy/sympy": "parse_log_sympy",
}


def parser_name(name: str) -> str:
    """'pytest' -> 'parse_log_pytest'; a name swebench does not know raises ConfigError."""
    from swebench.harness.log_parsers import PARSER_REGISTRY

    full = name if name.startswith("parse_log_") else f"parse_log_{name}"
    if full not in PARSER_REGISTRY:
        raise ConfigError(
            f"unknown log parser {name!r}",
            field="log_parser",
            fix=f"use one of swebench's: {', '.join(sorted(k.removeprefix('parse_log_') for k in PARSER_REGISTRY)[:12])} ...",
        )
    return full


def make_test_spec(inst: SWEInstance, image: str, suite: Suite | None) -> TestSpec:
    """swebench's TestSpec for the instance (eval script, parser, eval type) in `image`."""
    from swebench.harness.utils import make_test_spec as sb_make_test_spec

    if suite is not None:
        spec = suite.repo_spec(inst.repo)
        script = evalscript.suite_eval_script(
            base_commit=inst.base_commit, test_patch=inst.test_patch, test_cmd=spec.test_cmd
        )
        parser = parser_name(spec.log_parser)
    else:
        if not inst.eval_script:
            raise ConfigError(
                f"instance {inst.instance_id} has no eval_script",
                field="eval_script",
                fix="swebench 5.x grades from per-row eval scripts: use a dataset export that has them",
            )
        script = inst.eval_script
        parser = parser_name(inst.log_parser or REPO_PARSERS.get(inst.repo, "pytest"))
    row = {
        "instance_id": inst.instance_id,
        "image": image,
        "repo": inst.repo,
        "version": inst.version,
        "FAIL_TO_PASS": inst.FAIL_TO_PASS,
        "PASS_TO_PASS": inst.PASS_TO_PASS,
        "log_parser": parser,
        "eval_type": inst.eval_type or "pass_and_fail",
        "eval_script": script,
    }
    return sb_make_test_spec(row)


def unchanged_outcome(inst: SWEInstance) -> TestOutcome:
    """METHODS.md §2b: a run that hit a limit or made no patch: P2P pass, F2P fail, nothing run."""
    passed = [False] * len(inst.FAIL_TO_PASS) + [True] * len(inst.PASS_TO_PASS)
    return TestOutcome(
        tests=inst.tests,
        passed=passed,
        fail_to_pass=list(inst.FAIL_TO_PASS),
        pass_to_pass=list(inst.PASS_TO_PASS),
        resolved=all(passed),
        unchanged=True,
        patch_applied=False,
    )


class UngradableLog(DataError):
    """A grading log with no test output the harness could grade: unknown, never 'all failed'."""


# swebench.harness.constants' lines that mean "graded as failure" (get_logs_eval gives nothing).
_HARNESS_FAILURE_MARKS = (
    evalscript.APPLY_PATCH_FAIL,
    ">>>>> Reset Failed",
    evalscript.TESTS_ERROR,
    ">>>>> Tests Timed Out",
    "Timeout error: ",  # what run_evaluation appends to test_output.txt on a timeout
)


def _log_applied(log_text: str, *, path: str | None) -> bool:
    """Whether the model patch applied, read from the apply marker or from the test-output markers.

    agentbench's own logs carry the apply marker; a harness `test_output.txt` does not (that
    line goes to run_instance.log) but the harness only runs the tests after the patch applied,
    so both test-output markers stand for it. A log with neither cannot be graded.
    """
    if evalscript.APPLY_PATCH_PASS in log_text:
        return True
    if evalscript.APPLY_PATCH_FAIL in log_text:
        return False
    if evalscript.START_TEST_OUTPUT in log_text and (
        evalscript.END_TEST_OUTPUT in log_text or any(m in log_text for m in _HARNESS_FAILURE_MARKS)
    ):
        return True
    raise UngradableLog(
        f"no {evalscript.APPLY_PATCH_PASS!r} line and no "
        f"{evalscript.START_TEST_OUTPUT!r}/{evalscript.END_TEST_OUTPUT!r} markers: "
        "not a SWE-bench grading log",
        path=path,
        fix="pass the harness's test_output.txt (or run_instance.log) for this instance",
    )


def outcome_from_log(
    inst: SWEInstance,
    spec: TestSpec,
    log_text: str,
    *,
    timed_out: bool,
    path: str | None = None,
) -> TestOutcome:
    """Parse a grading log with swebench's parser and grading rules into a TestOutcome.

    Raises UngradableLog when the log has no markers, or its test output holds no result
    swebench's parser recognises and no harness failure line explains why.
    """
    from swebench.harness.constants import FAIL_TO_PASS, PASS_TO_PASS, EvalType, ResolvedStatus
    from swebench.harness.grading import get_eval_tests_report, get_logs_eval, get_resolution_status

    own_log = evalscript.APPLY_PATCH_PASS in log_text
    # a run cut by its time limit before any marker: nothing ran (as before)
    applied = (
        False
        if timed_out and own_log is False and evalscript.START_TEST_OUTPUT not in log_text
        else _log_applied(log_text, path=path)
    )
    if own_log and evalscript.TESTS_ERROR in log_text:
        raise InfraError(
            "grading",
            f"{inst.instance_id}: the test patch did not apply at {inst.base_commit[:12]}",
        )
    status_map: dict[str, str] = {}
    notes: list[str] = []
    if applied and not timed_out:
        with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False, encoding="utf-8") as fh:
            fh.write(log_text)
            tmp = fh.name
        try:
            status_map, ok = get_logs_eval(spec, tmp)
        finally:
            os.unlink(tmp)
        if not own_log and not ok:
            mark = next((m for m in _HARNESS_FAILURE_MARKS if m in log_text), None)
            if mark is None:
                raise UngradableLog(
                    f"{spec.log_parser} found no test results between the test-output markers",
                    path=path,
                    fix="check the log is this instance's and its repo's parser is the right one",
                )
            # the harness grades these as failure too; keep why on record
            notes.append(f"harness log says {mark!r}: graded as the harness does (tests failed)")
    report = get_eval_tests_report(
        status_map,
        {FAIL_TO_PASS: list(inst.FAIL_TO_PASS), PASS_TO_PASS: list(inst.PASS_TO_PASS)},
        eval_type=EvalType(spec.eval_type),
    )
    ok_tests = set(report[FAIL_TO_PASS]["success"]) | set(report[PASS_TO_PASS]["success"])
    passed = [t in ok_tests for t in inst.tests]
    resolved = get_resolution_status(report) == ResolvedStatus.FULL.value and all(passed)
    return TestOutcome(
        tests=inst.tests,
        passed=passed,
        fail_to_pass=list(inst.FAIL_TO_PASS),
        pass_to_pass=list(inst.PASS_TO_PASS),
        resolved=resolved,
        patch_applied=applied,
        log_excerpt=("[tests timed out]\n" if timed_out else "") + log_text[-EXCERPT_CHARS:],
        grading_notes=notes,
    )


def _tar(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for d in sorted({n.rsplit("/", 1)[0] for n in files if "/" in n}):
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tar.addfile(info)
        for name, text in files.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


# The agent sandbox's limits, for the container that runs the agent's patch and the tests.
# Generous for real test suites (more memory and processes than an agent shell gets) but
# bounded: a patch that forks endlessly, eats memory or floods output ends its own grading.
GRADING_MEMORY = "4g"
GRADING_PIDS = 1024
# a busy loop or a fork bomb in the tests takes at most this many cores from the host
GRADING_CPUS = 2.0
GRADING_OUTPUT_HEAD = 1 << 20  # apply markers and the test command
GRADING_OUTPUT_TAIL = 31 << 20  # the test summary and end marker the log parser reads
# root in the container keeps its file powers (test suites chmod/chown their temp files);
# everything else of Docker's default set (raw sockets, mknod, chroot, setcap...) is dropped
GRADING_CAPS = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID"]


class GradingRun:
    """What the grading container gave: its (capped) log and what cut or ended it."""

    def __init__(self, text: str, timed_out: bool, notes: list[str]) -> None:
        self.text = text
        self.timed_out = timed_out
        self.notes = notes


def _pump(stream: Any, log_: CappedLog) -> None:
    """Feed the container's output into the capped log until it ends."""
    import contextlib

    with contextlib.suppress(Exception):  # the container was removed under us: output ends
        for chunk in stream:
            log_.feed(chunk)


def run_grading_container(
    image: str,
    files: dict[str, str],
    *,
    timeout_s: float,
    client: docker.DockerClient | None = None,
    mem_limit: str | None = None,
    pids_limit: int = GRADING_PIDS,
    output_head: int = GRADING_OUTPUT_HEAD,
    output_tail: int = GRADING_OUTPUT_TAIL,
) -> GradingRun:
    """Run grade.sh in a fresh, offline, limited container. Always killed, never stopped."""
    import threading

    import docker as docker_mod
    import requests

    from agentbench.sandbox.client import resolve
    from agentbench.sandbox.ownership import owner_labels

    cl = resolve(client)
    name = f"agentbench-grade-{uuid.uuid4().hex[:12]}"
    # the sandbox's ownership labels: the orphan reaper removes these if we die mid-grade
    labels = {**owner_labels(name), GRADER_LABEL: "grader"}
    mem = mem_limit or GRADING_MEMORY
    container = None
    try:
        container = cl.containers.create(
            image,
            command=["bash", "/tmp/agentbench/grade.sh"],
            name=name,
            working_dir=WORKDIR,
            environment=dict(DETERMINISM_ENV),
            network_disabled=True,
            labels=labels,
            mem_limit=mem,
            memswap_limit=mem,  # no swap: over the limit means the OOM killer
            pids_limit=pids_limit,
            # Docker refuses a quota above the host's core count
            nano_cpus=int(min(GRADING_CPUS, os.cpu_count() or 1) * 1e9),
            cap_drop=["ALL"],
            cap_add=GRADING_CAPS,
            security_opt=["no-new-privileges"],
            log_config={"type": "none"},  # output reaches us only through the capped stream
            detach=True,
        )
        # put_archive works before start; the tar's folder entry creates /tmp/agentbench
        container.put_archive("/tmp", _tar({f"agentbench/{k}": v for k, v in files.items()}))
        log_ = CappedLog(head=output_head, tail=output_tail)
        # attached before start, so not a byte is missed; read as it comes, never whole
        stream = container.attach(stdout=True, stderr=True, stream=True, logs=False)
        pump = threading.Thread(target=_pump, args=(stream, log_), daemon=True)
        pump.start()
        container.start()
        timed_out = False
        try:
            container.wait(timeout=timeout_s + 30)
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            timed_out = True
        pump.join(30)
        text = log_.text()
        state = cl.api.inspect_container(container.id)["State"]
        notes: list[str] = []
        if not timed_out:
            # `timeout -s KILL` inside ends the script with 137 and no end marker
            timed_out = state.get("ExitCode") == 137 and evalscript.END_TEST_OUTPUT not in text
        if state.get("OOMKilled"):
            notes.append(f"out of memory: the grading container hit its {mem} limit")
            timed_out = timed_out and evalscript.END_TEST_OUTPUT in text  # OOM, not a timeout
        if timed_out:
            notes.append(f"tests timed out after {timeout_s:g} s")
        if log_.cut:
            notes.append(f"output cut: {log_.total:,} bytes, {log_.cut:,} dropped from the middle")
        return GradingRun(text, timed_out, notes)
    except docker_mod.errors.ImageNotFound as exc:
        raise InfraError("grading", f"image {image} is missing ({exc.explanation})") from None
    except docker_mod.errors.APIError as exc:
        raise InfraError("grading", f"docker: {exc.explanation or exc}") from None
    except requests.exceptions.RequestException as exc:
        raise InfraError("grading", f"docker engine connection: {exc}") from None
    finally:
        if container is not None:
            try:
                container.remove(force=True)  # SIGKILL + remove: no graceful-stop wait
            except docker_mod.errors.APIError as exc:
                log.warning("grader_remove_failed", container=container.id[:12], error=str(exc))


def grade(
    inst: SWEInstance,
    patch: str,
    *,
    image: str,
    suite: Suite | None,
    timeout_s: float = 1800.0,
    client: docker.DockerClient | None = None,
    log_path: Path | None = None,
    mem_limit: str | None = None,
    run_empty: bool = False,
) -> TestOutcome:
    """Apply `patch` and the test patch in a fresh container from `image`, run the tests, grade.

    An empty patch is graded "unchanged" without running anything unless `run_empty`
    (validation: run the tests at the base commit).
    """
    if not patch.strip() and not run_empty:
        return unchanged_outcome(inst)
    t0 = time.monotonic()
    spec = make_test_spec(inst, image, suite)
    files = {
        "model.patch": patch if not patch or patch.endswith("\n") else patch + "\n",
        "apply.sh": evalscript.apply_script(),
        "eval.sh": spec.eval_script,
        "grade.sh": evalscript.grade_script(timeout_s),
    }
    run = run_grading_container(
        image, files, timeout_s=timeout_s, client=client, mem_limit=mem_limit
    )
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_text(run.text, encoding="utf-8")
    try:
        out = outcome_from_log(inst, spec, run.text, timed_out=run.timed_out)
    except UngradableLog as exc:
        # our own container wrote no marker (killed, out of memory): missing data, not an outcome
        raise InfraError(
            "grading", f"{inst.instance_id}: {exc.detail}; {'; '.join(run.notes)}"
        ) from None
    if run.notes:
        # the reason a limit ended or cut this grading stays on record with the outcome
        out.grading_notes = run.notes
        out.log_excerpt = (
            "".join(f"[{n}]\n" for n in run.notes if "timed out" not in n) + out.log_excerpt
        )
    out.grading_s = time.monotonic() - t0
    log.debug("graded", instance=inst.instance_id, resolved=out.resolved, s=round(out.grading_s, 2))
    return out


def regrade(
    inst: SWEInstance,
    patch: str,
    k: int,
    **kwargs: Any,
) -> tuple[TestOutcome, list[TestOutcome]]:
    """Grade the same patch `k` times; the first grading is the outcome, `flaky` lists tests that changed."""
    if k < 1:
        raise ConfigError(
            f"regrade count {k} must be >= 1", field="regrade", fix="pass --regrade 1 or more"
        )
    runs = [grade(inst, patch, **kwargs) for _ in range(k)]
    first = runs[0]
    flaky = [t for j, t in enumerate(first.tests) if len({r.passed[j] for r in runs}) > 1]
    merged = first.model_copy(update={"flaky": flaky, "grading_s": sum(r.grading_s for r in runs)})
    return merged, runs
