"""`agentbench report RUN`, `agentbench compare RUN [RUN ...]`, `agentbench import ...`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from agentbench.textsafe import safe

if TYPE_CHECKING:
    from agentbench.analysis.types import Report

app = typer.Typer(no_args_is_help=True, add_completion=False)
out = Console()
err = Console(stderr=True)
MISSING_SHOWN = 20  # rows of the terminal's missing-sample table


def print_report(rep: Report) -> None:
    """The report in the terminal: headline tables, missing samples, warnings."""
    from agentbench.analysis.terminal import print_headline

    out.print(f"{safe(rep.run_dir)}: {rep.n_samples} samples", highlight=False)
    print_headline(rep, out)
    if rep.missing:
        miss = Table(title=f"MISSING samples: {rep.n_missing} (excluded from every statistic)")
        for col in ("system", "instance", "seed", "attempts", "reason"):
            miss.add_column(col, justify="right" if col in ("seed", "attempts") else "left")
        for m in rep.missing[:MISSING_SHOWN]:
            miss.add_row(
                safe(m.system), safe(m.instance_id), str(m.seed), str(m.attempts), safe(m.reason)
            )
        if rep.n_missing > MISSING_SHOWN:
            miss.caption = f"first {MISSING_SHOWN} shown; all in the HTML report"
        out.print(miss)
    for w in rep.warnings:
        out.print(f"[yellow]warning:[/] {safe(w)}", highlight=False)


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="Run folder (holds store.sqlite).")],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default RUN/report).")
    ] = None,
    groups: Annotated[int, typer.Option(help="Equal-size length groups of instances.")] = 5,
    reference: Annotated[
        str | None,
        typer.Option(help="Reuse this system's length grouping for every system."),
    ] = None,
    boot: Annotated[int, typer.Option(help="Bootstrap draws per system.")] = 1000,
    detail_boot: Annotated[
        int, typer.Option(help="Bootstrap draws per length group and half.")
    ] = 200,
    nested: Annotated[
        bool, typer.Option(help="Resample unrolls within each resampled instance (METHODS §4).")
    ] = True,
    confidence: Annotated[float, typer.Option(help="Interval confidence level.")] = 0.9,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    html: Annotated[bool, typer.Option(help="Write plots and the HTML file.")] = True,
    task: Annotated[
        str | None, typer.Option(help="Only this task in the multiple-choice section.")
    ] = None,
) -> None:
    """Per system: resolved rate, bias², variance, incoherence with intervals; HTML + PNG.

    Multiple-choice tasks (swept or imported) add KL, Brier and 0/1 side by side."""
    from agentbench.errors import ConfigError

    if groups < 1:  # `mc report --groups 0` means no grouping; here a group is the point
        raise ConfigError(f"groups={groups} must be at least 1", field="--groups",
                          fix="pass 1 or more")  # fmt: skip
    run_report(run_dir, out_dir, html=html, groups=groups, reference_system=reference,
               n_boot=boot, detail_boot=detail_boot, nested=nested, confidence=confidence,
               seed=seed, task=task)  # fmt: skip


def run_report(
    run_dir: Path,
    out_dir: Path | None,
    *,
    html: bool = True,
    require_mc: bool = False,
    **options: object,
) -> Report:
    """Build the report, print it, and write its files unless `html` is False."""
    from agentbench.analysis.build import build_report
    from agentbench.analysis.write import write_report
    from agentbench.errors import ConfigError, DataError
    from agentbench.metrics import MetricsInputError

    try:
        rep = build_report(run_dir, **options)  # type: ignore[arg-type]
    except MetricsInputError as exc:
        raise ConfigError(str(exc), path=str(run_dir)) from None
    if require_mc and rep.mc is None:
        raise DataError("this run has no mc task", path=str(run_dir), fix="run an mc sweep")
    print_report(rep)
    if html:
        path = write_report(rep, out_dir)
        out.print(f"[bold green]report:[/] {path}", highlight=False)
    return rep


@app.command()
def compare(
    run_dirs: Annotated[list[Path], typer.Argument(help="One or more run folders.")],
    system: Annotated[
        list[str] | None, typer.Option("--system", help="Only these systems (repeatable).")
    ] = None,
    baseline: Annotated[
        str | None, typer.Option(help="Differences are taken against this system (default first).")
    ] = None,
    boot: Annotated[int, typer.Option(help="Bootstrap draws.")] = 1000,
    nested: Annotated[
        bool, typer.Option(help="Resample unrolls within each resampled instance (METHODS §4).")
    ] = True,
    confidence: Annotated[float, typer.Option(help="Interval confidence level.")] = 0.9,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Also write compare.html, compare.json and plots here."),
    ] = None,
) -> None:
    """Systems side by side on their shared instances; paired intervals for the differences."""
    from agentbench.analysis.compare import compare_runs
    from agentbench.analysis.terminal import print_comparison
    from agentbench.analysis.write import write_comparison

    comps = compare_runs(
        list(run_dirs),
        systems=system,
        baseline=baseline,
        n_boot=boot,
        confidence=confidence,
        seed=seed,
        nested=nested,
    )
    for comp in comps:
        print_comparison(comp, out)
    if out_dir is not None:
        html = write_comparison(comps, out_dir)
        out.print(f"[bold green]comparison:[/] {html}", highlight=False)


class Source(StrEnum):
    """Tools whose output `agentbench import` reads."""

    MINI_SWE_AGENT = "mini-swe-agent"
    INSPECT = "inspect"
    SWEBENCH_HARNESS = "swebench-harness"
    TABLE = "table"


@app.command("import")
def import_(
    source: Annotated[Source, typer.Argument(help="The tool that made the files.")],
    run_dir: Annotated[Path, typer.Argument(help="Run folder to import into (created if new).")],
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="mini-swe-agent: its output folder; inspect: one or more .eval logs; "
            "swebench-harness: logs/run_evaluation/<run_id> folders, one per seed; "
            "table: one CSV/JSONL/Parquet answer table."
        ),
    ],
    reports: Annotated[
        Path | None,
        typer.Option(help="mini-swe-agent: SWE-bench harness report.json folder (or file)."),
    ] = None,
    dataset: Annotated[
        Path | None,
        typer.Option(help="mini-swe-agent: SWE-bench rows (JSON/JSONL) for the test lists."),
    ] = None,
    seed: Annotated[int, typer.Option(help="mini-swe-agent: the seed this batch run is.")] = 0,
    system: Annotated[
        str | None, typer.Option(help="System name (default: the model name).")
    ] = None,
    task: Annotated[str | None, typer.Option(help="Task name in the store.")] = None,
    scorer: Annotated[
        str | None, typer.Option(help="inspect: which scorer's value (default: the first).")
    ] = None,
    options: Annotated[
        int | None,
        typer.Option(help="inspect, table: read every sample as multiple choice with N options."),
    ] = None,
    column: Annotated[
        list[str] | None,
        typer.Option(
            help="table: KEY=COLUMN for question, system, seed, answer, target, length, "
            "options (default: the key itself). Repeat it."
        ),
    ] = None,
) -> None:
    """Import mini-swe-agent runs, inspect_ai .eval logs, SWE-bench harness runs or answer tables."""
    from agentbench.errors import ConfigError

    if source is Source.MINI_SWE_AGENT:
        from agentbench.importers.minisweagent import import_minisweagent

        if len(inputs) != 1:
            raise ConfigError(
                f"mini-swe-agent imports one output folder at a time, got {len(inputs)}",
                field="INPUTS",
                fix="import each seed's folder with its own --seed",
            )
        summaries = [
            import_minisweagent(
                run_dir, inputs[0], reports, seed=seed, system=system,
                task=task or "swebench", dataset=dataset,
            )
        ]  # fmt: skip
    elif source is Source.TABLE:
        from agentbench.importers.table import import_table

        if len(inputs) != 1:
            raise ConfigError(
                f"table imports one file at a time, got {len(inputs)}", field="INPUTS",
                fix="import each table on its own (or concatenate them)",
            )  # fmt: skip
        summaries = import_table(
            run_dir, inputs[0], task=task, columns=column or [], options=options
        )
    elif source is Source.SWEBENCH_HARNESS:
        from agentbench.importers.swebench_harness import import_swebench_harness

        # one run folder (logs/run_evaluation/<run_id>) per seed, in the order given
        summaries = import_swebench_harness(
            run_dir, inputs, dataset=dataset, task=task or "swebench", system=system
        )
    else:
        from agentbench.importers.inspect_eval import read_inspect, write_inspect

        # parse every log first: a bad file then leaves the store untouched
        parsed = [
            read_inspect(p, system=system, task=task, scorer=scorer, options=options)
            for p in inputs
        ]
        summaries = [write_inspect(run_dir, p) for p in parsed]
    for s in summaries:
        out.print(
            f"[bold green]imported[/] {s.n_samples} samples of {s.system} on {s.task} "
            f"(seeds {', '.join(map(str, s.seeds))}): {s.n_done} graded "
            f"({s.n_unchanged} unchanged), {s.n_missing} missing → {s.run_dir}",
            highlight=False,
        )
        for n in s.notes:
            out.print(f"[yellow]note:[/] {safe(n)}", highlight=False)
