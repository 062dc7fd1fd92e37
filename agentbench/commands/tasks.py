"""`agentbench tasks`: list, build, validate and grade SWE-bench style instances."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(no_args_is_help=True, help="SWE-bench style task suites.")
out = Console()

_DATASET_HELP = "Hub name (princeton-nlp/SWE-bench_Lite ...), suite name or folder, or a .json/.jsonl/.csv/.parquet file."


def _task(
    dataset: str,
    ids: list[str],
    filter_: str | None,
    slice_: str | None,
    shuffle_seed: int | None,
    **extra: Any,
) -> Any:
    from agentbench.errors import ConfigError
    from agentbench.tasks.swebench.task import SWEBenchTask

    # name the option, not the task-spec key a sweep file would have (tasks.image_source)
    if extra.get("image_source") not in (None, "build", "prebuilt"):
        raise ConfigError(
            f"unknown image source {extra['image_source']!r}",
            field="--image-source",
            fix="use build or prebuilt",
        )
    if extra.get("test_timeout_s") is not None and extra["test_timeout_s"] <= 0:
        raise ConfigError(
            f"{extra['test_timeout_s']} is not a positive number of seconds",
            field="--timeout",
            fix="pass --timeout above 0",
        )
    spec: dict[str, Any] = {"kind": "swebench", "dataset": dataset, **extra}
    if ids:
        spec["instance_ids"] = ids
    if filter_:
        spec["filter"] = filter_
    if slice_:
        spec["slice"] = slice_
    if shuffle_seed is not None:
        spec["shuffle_seed"] = shuffle_seed
    return SWEBenchTask.from_spec(spec)


_IDS = typer.Option([], "--id", help="Instance id (repeatable).")
_FILTER = typer.Option(None, "--filter", help="Regex on instance ids.")
_SLICE = typer.Option(None, "--slice", help="start:stop[:step] after filtering.")
_SHUFFLE = typer.Option(None, "--shuffle-seed", help="Shuffle with this seed before slicing.")


@app.command("ls")
def ls(
    dataset: str | None = typer.Argument(None, help=_DATASET_HELP),
    ids: list[str] = _IDS,
    filter_: str | None = _FILTER,
    slice_: str | None = _SLICE,
    shuffle_seed: int | None = _SHUFFLE,
) -> None:
    """List bundled suites, or the selected instances of a dataset."""
    if dataset is None:
        from agentbench.tasks.swebench.suites import bundled_suites

        for name in bundled_suites():
            out.print(name, highlight=False)
        return
    task = _task(dataset, ids, filter_, slice_, shuffle_seed)
    table = Table("instance", "repo", "F2P", "P2P", "base commit")
    for inst in task.instances:
        table.add_row(
            inst.instance_id,
            inst.repo,
            str(len(inst.FAIL_TO_PASS)),
            str(len(inst.PASS_TO_PASS)),
            inst.base_commit[:12],
        )
    out.print(table)
    out.print(f"{len(task.instances)} instances from {task.dataset.source}", highlight=False)


@app.command("build")
def build(
    dataset: str = typer.Argument(..., help=_DATASET_HELP),
    ids: list[str] = _IDS,
    filter_: str | None = _FILTER,
    slice_: str | None = _SLICE,
    shuffle_seed: int | None = _SHUFFLE,
    image_source: str = typer.Option("build", "--image-source", help="build | prebuilt"),
    ca_bundle: str | None = typer.Option(
        None, "--ca-bundle", help="CA bundle for builds behind a TLS proxy."
    ),
) -> None:
    """Build (or reuse) the image of every selected instance."""
    task = _task(
        dataset, ids, filter_, slice_, shuffle_seed, image_source=image_source, ca_bundle=ca_bundle
    )
    for inst in task.instances:
        t0 = time.monotonic()
        tag = task.image(inst)
        out.print(f"{inst.instance_id}  {tag}  ({time.monotonic() - t0:.1f} s)", highlight=False)


@app.command("push")
def push(
    dataset: str = typer.Argument(..., help=_DATASET_HELP),
    registry: str = typer.Option(..., "--registry", help="HOST:PORT of the registry to fill."),
    ids: list[str] = _IDS,
    filter_: str | None = _FILTER,
    slice_: str | None = _SLICE,
    ca_bundle: str | None = typer.Option(
        None, "--ca-bundle", help="CA bundle for builds behind a TLS proxy."
    ),
) -> None:
    """Build (or reuse) every selected instance's image and push its layers to a registry."""
    from agentbench.errors import ConfigError
    from agentbench.sandbox.client import docker_client
    from agentbench.sandbox.mirror import check_registry, layer_chain
    from agentbench.sandbox.mirror import push as push_image

    try:
        check_registry(registry)
    except ValueError as exc:
        raise ConfigError(
            str(exc), field="--registry", fix="e.g. --registry 127.0.0.1:5000"
        ) from None
    task = _task(dataset, ids, filter_, slice_, None, ca_bundle=ca_bundle)
    client = docker_client()
    pushed: set[str] = set()
    for inst in task.instances:
        for tag in layer_chain(client, task.image(inst)):
            if tag not in pushed:
                out.print(f"{push_image(client, tag, registry)}", highlight=False)
                pushed.add(tag)
    out.print(
        f"{len(pushed)} images in {registry}; nodes pull them with `registry: {registry}` "
        "in the sweep's task",
        highlight=False,
    )


@app.command("validate")
def validate(
    dataset: str = typer.Argument(..., help="Suite name or folder, or a dataset file."),
    ids: list[str] = _IDS,
    filter_: str | None = _FILTER,
    slice_: str | None = _SLICE,
    timeout: float = typer.Option(600.0, "--timeout", help="Test timeout per grading (s)."),
    image_source: str = typer.Option("build", "--image-source", help="build | prebuilt"),
) -> None:
    """Gold patch resolves, empty patch does not, PASS_TO_PASS passes at the base commit."""
    from agentbench.tasks.swebench.validate import validate_task

    task = _task(
        dataset, ids, filter_, slice_, None, test_timeout_s=timeout, image_source=image_source
    )
    bad = 0
    n = 0
    for res in validate_task(task):
        n += 1
        if res.ok:
            out.print(f"[green]ok[/]   {res.instance_id}  ({res.seconds:.1f} s)", highlight=False)
        else:
            bad += 1
            out.print(f"[red]FAIL[/] {res.instance_id}: {'; '.join(res.problems)}", highlight=False)
    out.print(f"{n - bad}/{n} instances valid in {task.name}", highlight=False)
    if bad:
        raise typer.Exit(1)


@app.command("grade")
def grade(
    instance: str = typer.Argument(..., help="Instance id."),
    patch: Path = typer.Option(..., "--patch", help="Patch file (git diff); empty = unchanged."),
    dataset: str = typer.Option("agentbench-mini", "--dataset", help=_DATASET_HELP),
    regrade: int = typer.Option(
        1, "--regrade", help="Grade K times and report tests whose result changes."
    ),
    timeout: float = typer.Option(1800.0, "--timeout", help="Test timeout per grading (s)."),
    image_source: str = typer.Option("build", "--image-source", help="build | prebuilt"),
) -> None:
    """Grade one patch on one instance: per-test pass/fail, resolved, flaky tests."""
    from agentbench.errors import DataError
    from agentbench.tasks.swebench import grading

    try:
        text = patch.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(
            f"cannot read the patch ({exc})", path=str(patch), fix="give a UTF-8 git diff"
        ) from None
    task = _task(
        dataset, [instance], None, None, None, test_timeout_s=timeout, image_source=image_source
    )
    inst = task.instance(instance)
    kw: dict[str, Any] = {
        "image": task.image(inst),
        "suite": task.dataset.suite,
        "timeout_s": timeout,
    }
    outcome, runs = grading.regrade(inst, text, regrade, **kw)
    table = Table("kind", *(f"#{i + 1}" for i in range(len(runs))), "flaky")
    table.add_column("test", overflow="fold")
    f2p = set(outcome.fail_to_pass)
    for j, t in enumerate(outcome.tests):
        marks = ["[green]pass[/]" if r.passed[j] else "[red]fail[/]" for r in runs]
        table.add_row("F2P" if t in f2p else "P2P", *marks, "yes" if t in outcome.flaky else "", t)
    out.print(table)
    state = (
        "unchanged (empty patch)"
        if outcome.unchanged
        else ("applied" if outcome.patch_applied else "did NOT apply")
    )
    secs = [f"{r.grading_s:.2f}" for r in runs]
    out.print(
        f"{inst.instance_id}: resolved={outcome.resolved} patch {state}; "
        f"flaky: {', '.join(outcome.flaky) or 'none'} over {len(runs)} grading(s); seconds: {' '.join(secs)}",
        highlight=False,
    )
