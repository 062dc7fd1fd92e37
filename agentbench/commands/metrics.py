"""`agentbench metrics demo`: the estimators against a simulated population with known truth."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from agentbench.errors import ConfigError

app = typer.Typer(no_args_is_help=True, add_completion=False)
console = Console()


@app.callback()
def _group() -> None:
    """Metrics core: demo and checks."""


@app.command()
def demo(
    seed: int = typer.Option(0, help="Seed of the simulation and of the bootstrap."),
    questions: int = typer.Option(200, help="Number of simulated instances."),
    unrolls: int = typer.Option(30, help="Unrolls (runs) per instance."),
    max_tests: int = typer.Option(20, help="Each instance has 1..max-tests graded tests."),
    boot: int = typer.Option(1000, help="Bootstrap draws."),
    confidence: float = typer.Option(0.9, help="Interval confidence level."),
) -> None:
    """Simulate binary test vectors with known pass probabilities; show estimate vs truth."""
    from agentbench.metrics import (
        MetricsInputError,
        bootstrap,
        make_tests_model,
        simulate_tests,
    )

    try:
        sim = simulate_tests(questions, unrolls, seed=seed, max_tests=max_tests)
        res = bootstrap(make_tests_model(sim.tests), n_boot=boot, confidence=confidence, seed=seed)
    except MetricsInputError as exc:
        raise ConfigError(
            str(exc), field="demo options", fix="see agentbench metrics demo --help"
        ) from None
    table = Table(
        title=f"{questions} instances x {unrolls} unrolls, seed {seed}: "
        f"estimate vs truth ({confidence:.0%} bootstrap intervals)"
    )
    for col in ("statistic", "truth at R", "estimate", "interval", "covers", "R → ∞"):
        table.add_column(col, justify="left" if col == "statistic" else "right")
    truth, limit = sim.truth.as_dict(), sim.limit.as_dict()
    names = {
        "bias2": "bias² (mean)",
        "variance": "variance (mean)",
        "error": "error (mean)",
        "incoherence": "incoherence",
        "accuracy": "resolved rate",
    }
    for key, label in names.items():
        iv = res.intervals[key]
        table.add_row(
            label,
            f"{truth[key]:.4f}",
            f"{iv.estimate:.4f}",
            f"[{iv.low:.4f}, {iv.high:.4f}]",
            "yes" if iv.covers(truth[key]) else "[red]no[/]",
            f"{limit[key]:.4f}",
        )
    console.print(table)
    console.print(
        "truth at R = the expected plug-in value with R unrolls (plug-in variance is low by "
        "(R-1)/R, bias² high by the same amount); R → ∞ is the population limit."
    )
