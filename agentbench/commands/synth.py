"""`agentbench synth train|rollout|report`: the synthetic optimizer experiment."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from agentbench.errors import ConfigError

app = typer.Typer(no_args_is_help=True, add_completion=False)
console = Console()

CONFIG_HELP = "YAML config path, or a packaged config name (tiny, cpu, paper)."


def _setup(
    config: str, out: Path | None, sizes: list[str] | None
) -> tuple[object, Path, list[str]]:
    from agentbench.tasks.synthetic.config import load_config

    cfg = load_config(config)
    chosen = sizes or cfg.sizes
    unknown = [s for s in chosen if s not in cfg.sizes]
    if unknown:
        raise ConfigError(
            f"size(s) {unknown} are not in this config's sizes {cfg.sizes}",
            path=config,
            field="sizes",
            fix="add them to the config or pick from its list",
        )
    return cfg, out or Path(cfg.out_dir) / cfg.name, chosen


@app.command()
def train(
    config: str = typer.Option(..., "--config", "-c", help=CONFIG_HELP),
    out: Path | None = typer.Option(None, help="Run folder (default: <out_dir>/<name>)."),
    size: list[str] | None = typer.Option(None, help="Train only these sizes (repeatable)."),
    fresh: bool = typer.Option(False, help="Discard existing checkpoints instead of resuming."),
) -> None:
    """Train every size of the config (resuming from checkpoints), each in a child process."""
    from agentbench.tasks.synthetic.child import run_stage

    _, run_dir, sizes = _setup(config, out, size)
    for s in sizes:
        res = run_stage("train", config, s, run_dir, fresh=fresh)
        console.print(
            f"[bold]{s}[/] {res['params']:,} params: held-out loss "
            f"{res['untrained_heldout_loss']:.4f} -> {res['heldout_loss']:.4f} "
            f"({res['steps']} steps)"
        )
    console.print(f"checkpoints in {run_dir}")


@app.command()
def rollout(
    config: str = typer.Option(..., "--config", "-c", help=CONFIG_HELP),
    out: Path | None = typer.Option(None, help="Run folder (default: <out_dir>/<name>)."),
    size: list[str] | None = typer.Option(None, help="Roll out only these sizes (repeatable)."),
) -> None:
    """Roll every trained size out from the held-out start points, each in a child process."""
    from agentbench.analysis.fmt import num, sig
    from agentbench.tasks.synthetic.child import run_stage

    _, run_dir, sizes = _setup(config, out, size)
    table = Table("size", "final bias²", "final variance", "final incoherence", "mean ‖x−b‖")
    for s in sizes:
        res = run_stage("rollout", config, s, run_dir)
        f = res["final"]
        table.add_row(
            s, sig(f["bias2"]), sig(f["variance"]), num(f["incoherence"]), sig(f["mean_dist"])
        )
    console.print(table)


@app.command()
def report(
    config: str | None = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
    run: Path | None = typer.Option(None, help="Run folder (default: from the config)."),
    out: Path | None = typer.Option(None, help="Report folder (default: <run>/report)."),
) -> None:
    """Plots (PNG) and a JSON/markdown summary of a run folder."""
    from agentbench.analysis.synthetic import write_report

    if run is None:
        if config is None:
            raise ConfigError("give --run FOLDER or --config", field="--run", fix="see --help")
        _, run, _ = _setup(config, None, None)
    summary = write_report(run, out)
    console.print((out or run / "report") / "summary.md")
    f = summary["findings"]
    console.print(
        f"incoherence rises with step for {f['incoherence_rises_with_step']['holds_for']}; "
        f"bias falls faster than variance with size: {f['bias_falls_faster_than_variance']}"
    )
