"""Top-level commands `run`, `export` and `demo`: sweeps into a run folder, and the main job."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from agentbench.textsafe import safe

if TYPE_CHECKING:
    from agentbench.sweep.executor import Progress
    from agentbench.sweep.runner import SweepSummary
    from agentbench.sweep.spec import SweepSpec

app = typer.Typer(add_completion=False)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _fmt_s(s: float | None) -> str:
    if s is None:
        return "?"
    s = int(s)
    return (
        f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


class _LiveProgress:
    """A rich progress bar fed by the executor's progress callback."""

    def __init__(self, enabled: bool) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
        from rich.progress import Progress as Bar

        self.enabled = enabled
        self.bar = Bar(
            TextColumn("[bold]{task.description}"),  # stats must fit 80 columns
            BarColumn(bar_width=10),
            MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"),
            console=err,
            transient=False,
            disable=not enabled,
        )
        self.task_id: int | None = None

    def __enter__(self) -> _LiveProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)

    def __call__(self, p: Progress) -> None:
        parts = [f"{p.running} run", f"{p.missing} missing"]
        if p.retries:
            parts.append(f"{p.retries} retry")
        cost = f"${p.cost_usd:.4f}" + (f"+{p.cost_unknown}?" if p.cost_unknown else "")
        parts += [f"{p.steps} steps", cost, f"eta {_fmt_s(p.eta_s)}"]
        if p.stopped_by_cost:
            parts.append("[yellow]cost limit[/]")
        stats = " · ".join(parts)
        if self.task_id is None:
            self.task_id = self.bar.add_task("samples", total=p.to_run, stats=stats)
        self.bar.update(self.task_id, completed=p.finished + p.not_scheduled, stats=stats)


def _print_summary(s: SweepSummary) -> None:
    out.print(
        f"[bold]{s.run_dir}[/]: {s.planned} samples planned, {s.already_done} already done, "
        f"{s.ran} run now ({s.done} done, {s.missing} missing after retries); "
        f"{s.steps} steps; cost spent in this run folder ${s.cost_usd:.4f}"
        + (f" + {s.cost_unknown} samples of unknown cost" if s.cost_unknown else "")
        + f", {_fmt_s(s.wall_s)} wall",
        highlight=False,
    )
    if s.stopped_by_cost:
        out.print(
            f"[yellow]cost limit reached:[/] {s.not_scheduled} samples recorded not_run "
            "(raise --max-cost or cost_limit_usd and run again to run them)"
        )
    if s.missing:
        out.print(
            "[yellow]missing samples are infrastructure failures (not outcomes); "
            "run again to retry them[/]"
        )


def _print_plan(
    spec: SweepSpec, rd: Path, executor: str, ray_num_cpus: int | None, per_sample: float
) -> None:
    """The plan of the sweep about to run, measured from this folder when it has samples."""
    from agentbench.errors import UserError
    from agentbench.planning.build import build_plan
    from agentbench.planning.render import print_plan
    from agentbench.store.schema import DB_NAME

    workers = spec.concurrency.samples
    if executor == "ray" and ray_num_cpus is not None:
        workers = max(1, int(ray_num_cpus // per_sample))
    try:
        p = build_plan(
            spec.model_copy(update={"run_dir": str(rd)}),
            from_run=rd if (rd / DB_NAME).is_file() else None,
            workers=workers,
            worker_kind="Ray workers" if executor == "ray" else "samples in flight",
            offline=False,
        )
    except UserError:  # the sweep itself reports it next, placed in the spec: one line only
        return
    print_plan(p, out)
    if spec.cost_limit_usd is not None:
        out.print(f"cost bound: ${spec.cost_limit_usd:g} (samples left then are recorded not_run)")


def _term_as_interrupt() -> None:
    """Treat SIGTERM (timeout, a scheduler) like Ctrl-C: same clean-up, same exit path."""
    import signal

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _interrupted(run_dir: Path) -> None:
    """Ctrl-C: what is recorded stays; leave now without waiting for sample threads."""
    err.print(
        f"interrupted: every finished sample is saved in {run_dir}; run the same command to resume"
    )
    from agentbench.sandbox.reaper import remove_own_sandboxes

    # sample threads may be blocked in a model call or a container: their samples stay
    # RUNNING and are re-run on resume; remove their containers now rather than wait for them
    n = remove_own_sandboxes()
    if n:
        err.print(f"removed {n} sandbox container(s) of the interrupted samples")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(130)


@app.command("run")
def run_cmd(
    spec_path: Annotated[
        Path, typer.Argument(help="Sweep spec YAML (see agentbench/sweeps/example.yaml).")
    ],
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override a spec key: --set seeds=10 --set systems.0.model.temperature=0.5",
        ),
    ] = None,
    executor: Annotated[str, typer.Option(help="local (default) or ray.")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address (ray executor).")] = None,
    ray_num_cpus: Annotated[
        int | None, typer.Option(help="CPUs of a Ray cluster started here.")
    ] = None,
    ray_cpus_per_sample: Annotated[
        float, typer.Option(help="Ray CPUs each sample reserves.")
    ] = 1.0,
    run_dir: Annotated[
        Path | None, typer.Option(help="Run folder (default: the spec's run_dir).")
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a live progress bar.")] = True,
    wait: Annotated[
        bool,
        typer.Option("--wait", help="If another run is writing the folder, wait for it to end."),
    ] = False,
    max_cost: Annotated[
        float | None,
        typer.Option(
            "--max-cost",
            help="Stop scheduling once the folder's spent cost reaches USD (unrun samples: not_run).",
        ),
    ] = None,
    plan: Annotated[
        bool, typer.Option("--plan/--no-plan", help="Print the plan (agentbench plan) first.")
    ] = True,
) -> None:
    """Run a sweep; running it again does only what is missing (not-run samples included)."""
    from agentbench.errors import ConfigError
    from agentbench.sweep.runner import run_sweep
    from agentbench.sweep.spec import load_spec

    if executor not in ("local", "ray"):
        raise ConfigError(
            f"unknown executor {executor!r}", field="--executor", fix="use local or ray"
        )
    if executor == "local":  # a Ray option on a local run would be silently ignored
        given = [
            name
            for name, on in (
                ("--address", address is not None),
                ("--ray-num-cpus", ray_num_cpus is not None),
                ("--ray-cpus-per-sample", ray_cpus_per_sample != 1.0),
            )
            if on
        ]
        if given:
            raise ConfigError(
                "is an option of the ray executor; this run is local",
                field=given[0],
                fix="add --executor ray, or drop it",
            )
    # a Ray cluster where no sample fits would wait forever: refuse it up front
    if ray_num_cpus is not None and ray_num_cpus < 1:
        raise ConfigError(f"{ray_num_cpus} CPUs", field="--ray-num-cpus", fix="pass 1 or more")
    if not ray_cpus_per_sample > 0:
        raise ConfigError(
            f"{ray_cpus_per_sample} CPUs per sample", field="--ray-cpus-per-sample",
            fix="pass a positive number, e.g. 1",
        )  # fmt: skip
    if ray_num_cpus is not None and not address and ray_cpus_per_sample > ray_num_cpus:
        raise ConfigError(
            f"a sample needs {ray_cpus_per_sample} CPUs but the cluster has {ray_num_cpus}",
            field="--ray-cpus-per-sample", fix="pass at most --ray-num-cpus",
        )  # fmt: skip
    if max_cost is not None and not max_cost > 0:
        raise ConfigError(f"{max_cost}", field="--max-cost", fix="pass a positive amount in USD")
    spec = load_spec(spec_path, set_ or [])
    if max_cost is not None:
        spec = spec.model_copy(update={"cost_limit_usd": max_cost})
    rd = run_dir or spec.resolved_run_dir()
    _term_as_interrupt()
    try:
        with _LiveProgress(progress and err.is_terminal) as live:
            summary = run_sweep(
                spec,
                executor=executor,  # type: ignore[arg-type]
                ray_address=address,
                ray_num_cpus=ray_num_cpus,
                ray_cpus_per_sample=ray_cpus_per_sample,
                on_progress=live,
                run_dir=rd,
                source=str(spec_path),
                wait=wait,
                on_wait=lambda who: err.print(
                    f"waiting: another run is writing {rd} ({who})", markup=False, highlight=False
                ),
                # printed once the folder is ours: a run refused by the lock prints no plan,
                # and the plan's start-up no longer delays taking the lock
                on_locked=(
                    (lambda: _print_plan(spec, rd, executor, ray_num_cpus, ray_cpus_per_sample))
                    if plan
                    else None
                ),
            )
    except KeyboardInterrupt:
        _interrupted(rd)
    _print_summary(summary)


@app.command("export")
def export_cmd(
    run: Annotated[Path, typer.Argument(help="Run folder.")],
    parquet: Annotated[
        bool, typer.Option("--parquet/--csv", help="Parquet (default) or CSV.")
    ] = True,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default RUN/export).")
    ] = None,
) -> None:
    """Write one table per level: samples, per-test outcomes (key, test, passed), systems."""
    from agentbench.store.export import export_run

    for p in export_run(run, out_dir, "parquet" if parquet else "csv"):
        out.print(str(p), highlight=False)


_TINY = (
    "SmolLM2-135M is a tiny model: it will rarely solve anything. The demo shows the machinery "
    "(sandboxes, unrolls per seed, per-test grading, bias/variance); set OPENAI_API_KEY or "
    "ANTHROPIC_API_KEY to run it with a capable model."
)


def demo_model_from_env(model: str | None = None) -> tuple[str, str] | None:
    """(provider, model) for the demo: the first provider with a demo model whose API key is
    set (OpenAI first), its demo model unless `model` names one; None: run the embedded one."""
    from agentbench.models.providers import PROVIDERS

    for p in PROVIDERS.values():
        if p.demo_model and p.key_env and os.environ.get(p.key_env):
            return p.name, model or p.demo_model
    return None


@app.command("demo")
def demo_cmd(
    spec_path: Annotated[
        Path | None, typer.Option("--spec", help="Sweep spec (default sweeps/demo.yaml).")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override a spec key, as in `run`.")
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="Model name when a provider key is set.")
    ] = None,
    run_dir: Annotated[Path | None, typer.Option(help="Run folder (default runs/demo).")] = None,
    progress: Annotated[bool, typer.Option(help="Show a live progress bar.")] = True,
) -> None:
    """The main job: build agentbench-mini images, run sweeps/demo.yaml, write the HTML report."""
    from agentbench.sweep import demo
    from agentbench.sweep.runner import run_sweep
    from agentbench.sweep.spec import load_spec

    spec = load_spec(spec_path or demo.demo_spec_path(), set_ or [])
    remote = demo_model_from_env(model)
    _term_as_interrupt()
    with contextlib.ExitStack() as stack:
        base_url = None
        if remote is None:
            out.print(f"[bold yellow]note:[/] {_TINY}")
            base_url = os.environ.get("AGENTBENCH_LOCAL_URL")
            if not base_url:
                from agentbench.servers.embedded.process import LocalServer

                with err.status("starting the embedded SmolLM2-135M server on 127.0.0.1 ..."):
                    base_url = stack.enter_context(LocalServer()).base_url
            out.print(f"model: SmolLM2-135M-Instruct (embedded, {base_url})", highlight=False)
        else:
            provider, name = remote
            out.print(f"model: {provider} {name} (API key from the environment)", highlight=False)
        spec = demo.with_model(spec, remote, base_url)
        rd = run_dir or spec.resolved_run_dir()
        with err.status("building task images ...") as status:
            factory = demo.prebuild(spec, lambda i: status.update(f"building the image of {i} ..."))
        n_inst = sum(len(factory(t).instance_ids()) for t in spec.tasks)
        out.print(
            f"sweep: {len(spec.systems)} systems ({', '.join(s.scaffold for s in spec.systems)}) × "
            f"{n_inst} instances × {len(spec.seed_list())} seeds → {rd}",
            highlight=False,
        )
        try:
            with _LiveProgress(progress and err.is_terminal) as live:
                summary = run_sweep(
                    spec,
                    on_progress=live,
                    task_factory=factory,
                    run_dir=rd,
                    source=str(spec_path or demo.demo_spec_path()),
                )
        except KeyboardInterrupt:
            stack.close()  # stop the model server: os._exit below skips clean-up
            _interrupted(rd)
    _print_summary(summary)
    for s in demo.summarise(rd):
        acts = "-" if s.mean_actions is None else f"{s.mean_actions:.1f}"
        out.print(
            f"  {safe(s.name)}: {s.done}/{s.samples} graded, {s.resolved} resolved, "
            f"{s.missing} missing, {acts} actions per unroll",
            highlight=False,
        )
    from agentbench.analysis.build import build_report
    from agentbench.analysis.terminal import print_headline
    from agentbench.analysis.write import write_report

    rep = build_report(rd)
    print_headline(rep, out)
    html = write_report(rep)
    out.print(f"[bold green]HTML report:[/] {html}", highlight=False)
    out.print(f"[bold green]viewer:[/] agentbench view {rd}  (then open http://127.0.0.1:8765)",
              highlight=False)  # fmt: skip
    if remote is None:
        out.print(f"[bold yellow]note:[/] {_TINY}")
