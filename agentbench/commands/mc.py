"""`agentbench mc ...`: multiple-choice and safety evals (report, prompt, budgets, demo)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from agentbench.errors import ConfigError, DataError, EnvironmentProblem
from agentbench.records import first_problem

if TYPE_CHECKING:
    from agentbench.config import ModelConfig
    from agentbench.tasks.mc.task import MCTask

app = typer.Typer(no_args_is_help=True, add_completion=False)
out = Console(soft_wrap=True)


@app.callback()
def _group() -> None:
    """Multiple-choice and safety evals."""


@app.command()
def report(
    run_dir: Path = typer.Argument(..., help="Run folder with mc tasks (swept or imported)."),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Where to write (default RUN_DIR/report)."
    ),
    task: str | None = typer.Option(None, help="Only this mc task of the run."),
    groups: int = typer.Option(
        5, help="Equal-size question groups by mean reasoning length (0: no grouping)."
    ),
    reference: str | None = typer.Option(
        None, help="Reuse this system's length grouping for all systems."
    ),
    boot: int = typer.Option(1000, help="Bootstrap draws."),
    confidence: float = typer.Option(0.9, help="Interval confidence level."),
) -> None:
    """`agentbench report` with mc defaults: KL/Brier/0-1, length, median split, budgets, ensembling."""
    from agentbench.commands.report import run_report

    # the builder checks every option (naming it) before anything is written
    run_report(run_dir, out_dir, require_mc=True, task=task, groups=groups,
               reference_system=reference, n_boot=boot, confidence=confidence)  # fmt: skip


def _task_of(run_dir: Path, task: str | None) -> tuple[MCTask, Any]:
    from agentbench.store.runstore import RunStore
    from agentbench.tasks.mc.task import MCTask

    store = RunStore.open(run_dir)
    specs = {n: s for n, s in store.tasks().items() if s.get("kind") == "mc"}
    if not specs:
        store.close()
        raise DataError("this run has no mc task", path=str(run_dir), fix="pass an mc run folder")
    name = task or next(iter(specs))
    if name not in specs:
        store.close()
        raise DataError(f"no mc task {name!r}", path=str(run_dir), field="--task",
                        fix=f"use one of {', '.join(specs)}")  # fmt: skip
    return MCTask.from_spec(specs[name]), store


@app.command()
def prompt(
    run_dir: Path = typer.Argument(..., help="Run folder."),
    question: str = typer.Argument(..., help="Question (instance) id."),
    seed: int = typer.Argument(..., help="Unroll seed."),
    task: str | None = typer.Option(None, help="The mc task (default: the run's first)."),
    system: str | None = typer.Option(None, help="Show this system's stored reply."),
) -> None:
    """Rebuild the exact prompt of one unroll from the task spec, with its stored reply."""
    t, store = _task_of(run_dir, task)
    with store:
        u = t.unroll(question, seed)
        out.print(f"[bold]{t.name}/{question} seed {seed}[/]: context {u.context}, sample "
                  f"{u.sample}, option order {list(u.order)}, request seed {u.request_seed}")  # fmt: skip
        for m in t.prompt(question, seed):
            out.print(f"[bold]--- {m.role}[/]")
            out.print(m.content, markup=False, highlight=False)
        for r in store.iter_results(task=t.name, instance_id=question, seed=seed):
            if system is not None and r.key.system != system:
                continue
            text = getattr(r.outcome, "answer_text", None) or getattr(r.outcome, "text", None)
            out.print(f"[bold]--- reply ({r.key.system}, {r.status.value})[/]")
            out.print(text or "", markup=False, highlight=False)
            if r.outcome is not None and hasattr(r.outcome, "probs"):
                out.print(
                    f"probs {r.outcome.probs} target {r.outcome.target} parsed {r.outcome.parsed}"
                )


@app.command()
def budgets(
    spec_path: Path = typer.Argument(..., help="A sweep spec YAML."),
    system: str = typer.Option(..., help="The system to vary."),
    tokens: str | None = typer.Option(None, help="Thinking budgets, e.g. 1024,4096,16384."),
    efforts: str | None = typer.Option(None, help="Effort levels, e.g. low,medium,high."),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write the new spec."),
) -> None:
    """Write a spec whose systems differ only in reasoning budget / effort (a sweep axis)."""
    import yaml

    from agentbench.sweep.spec import load_spec, validate_spec

    spec = load_spec(spec_path)
    base = next((s for s in spec.systems if s.name == system), None)
    if base is None:
        raise ConfigError(f"no system {system!r}", path=str(spec_path), field="systems",
                          fix=f"use one of {', '.join(s.name for s in spec.systems)}")  # fmt: skip
    if not tokens and not efforts:
        raise ConfigError("give --tokens or --efforts", field="--tokens")
    variants: list[tuple[str, dict[str, Any]]] = []
    try:
        for tok in filter(None, (tokens or "").split(",")):
            variants.append((f"{system}-think{int(tok)}", {"reasoning_budget": int(tok)}))
    except ValueError:
        raise ConfigError(f"{tokens!r} is not a list of integers", field="--tokens") from None
    cap = base.model.max_tokens
    for _, upd in variants:
        budget = upd.get("reasoning_budget")
        if budget is not None and cap is not None and cap <= budget:
            # the provider rejects it at the first request; say so before the sweep starts
            raise ConfigError(
                f"budget {budget} is not below the system's max_tokens {cap}",
                path=str(spec_path),
                field="model.max_tokens",
                fix="raise max_tokens above the largest budget",
            )
    allowed = ("minimal", "low", "medium", "high")
    for eff in filter(None, (e.strip() for e in (efforts or "").split(","))):
        if eff not in allowed:  # else the error would name the output file, not the option
            raise ConfigError(f"unknown effort {eff!r}", field="--efforts",
                              fix=f"use some of {', '.join(allowed)}")  # fmt: skip
        variants.append((f"{system}-{eff}", {"reasoning_effort": eff}))
    doc = spec.model_dump(mode="json", exclude_none=True)
    others = [s for s in doc["systems"] if s["name"] != system]
    made = []
    for name, upd in variants:
        s = base.model_copy(update={"name": name, "model": base.model.model_copy(update=upd)})
        made.append(s.model_dump(mode="json", exclude_none=True))
    doc["systems"] = others + made
    validate_spec(doc, str(output))  # a bad effort or max_tokens <= budget fails here
    try:
        output.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    except OSError as exc:
        raise EnvironmentProblem(f"cannot write the spec ({exc.strerror or exc})",
                                 path=str(output), field="--output",
                                 fix="pass a path in an existing, writable folder") from None  # fmt: skip
    out.print(f"wrote {output}: {len(made)} systems ({', '.join(n for n, _ in variants)})")


@contextlib.contextmanager
def _demo_model(model: str, task: MCTask) -> Iterator[ModelConfig]:
    from agentbench.config import ModelConfig

    if model == "local":
        from agentbench.servers.embedded.process import LOCAL_MODEL_NAME, LocalServer

        with LocalServer() as srv:
            yield ModelConfig(provider="local", name=LOCAL_MODEL_NAME, base_url=srv.base_url,
                              temperature=1.0, max_tokens=32, max_concurrency=2)  # fmt: skip
        return
    from agentbench.servers.scripted import ScriptedServer
    from agentbench.tasks.mc.scripted import KnownDistributionResponder, difficulty_truth

    dist, length = difficulty_truth(task)
    with ScriptedServer(KnownDistributionResponder(task, dist, length=length)) as srv:
        yield ModelConfig(provider="scripted", name="scripted-known", base_url=srv.base_url)


def run_demo(
    out_dir: Path, *, model: str, questions: int, difficulty: list[int], seeds: int,
    contexts: int, shots: int, groups: int, boot: int,
) -> tuple[Any, Path]:  # fmt: skip
    """Sweep the bundled procedural task into OUT/run and write the report to OUT/report."""
    from agentbench.analysis.build import build_report
    from agentbench.analysis.write import write_report
    from agentbench.config import SystemConfig
    from agentbench.sweep.runner import run_sweep
    from agentbench.sweep.spec import Concurrency, SweepSpec
    from agentbench.tasks.mc.task import MCTask

    tspec = {
        "kind": "mc", "name": "arith", "format": "letter", "contexts": contexts, "shots": shots,
        "shuffle": True,
        "dataset": {"source": "procedural", "n": questions, "difficulty": difficulty},
    }  # fmt: skip
    task = MCTask.from_spec(tspec)
    with _demo_model(model, task) as mcfg:
        spec = SweepSpec(
            name="mc-demo",
            run_dir=str(out_dir / "run"),
            tasks=[tspec],
            systems=[SystemConfig(name=model, model=mcfg, scaffold="mc")],
            seeds=seeds,
            concurrency=Concurrency(samples=4 if model == "local" else 64),
        )
        summary = run_sweep(spec, task_factory=lambda _s: task)
    rep = build_report(out_dir / "run", groups=groups, n_boot=boot)
    return (summary, rep), write_report(rep, out_dir / "report")


@app.command()
def demo(
    out_dir: Path = typer.Option(Path("runs/mc-demo"), "--out", help="Output folder."),
    model: str = typer.Option("scripted", help="scripted (known truth) or local (SmolLM2)."),
    questions: int = typer.Option(4, help="Questions per difficulty level."),
    difficulty: str = typer.Option("1,2,4", help="Reasoning steps per question, comma-separated."),
    seeds: int = typer.Option(30, help="Unrolls per question."),
    contexts: int = typer.Option(10, help="Few-shot contexts."),
    shots: int = typer.Option(2, help="Examples per context."),
    groups: int = typer.Option(3, help="Length groups in the report."),
    boot: int = typer.Option(300, help="Bootstrap draws."),
) -> None:
    """Run the bundled procedural task (no download) end to end and write its report."""
    if model not in ("scripted", "local"):
        raise ConfigError(f"unknown model {model!r}", field="--model", fix="use scripted or local")
    try:
        levels = [int(x) for x in difficulty.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(
            f"{difficulty!r} is not a list of integers", field="--difficulty"
        ) from None
    (summary, rep), html = run_demo(
        out_dir, model=model, questions=questions, difficulty=levels, seeds=seeds,
        contexts=contexts, shots=shots, groups=groups, boot=boot,
    )  # fmt: skip
    out.print(f"{summary.done} unrolls done, {summary.missing} missing in {summary.wall_s:.1f} s")
    from agentbench.analysis.terminal import print_headline

    print_headline(rep, out)
    out.print(f"report: {html}")


@app.command()
def questions(
    source: str = typer.Option("procedural", help="procedural, gpqa, mmlu, mwe or generic."),
    path: str | None = typer.Option(None, help="Local file/folder in the source's schema."),
    n: int = typer.Option(3, help="Procedural: questions per difficulty level."),
    difficulty: str = typer.Option("3", help="Procedural: steps, comma-separated."),
    config: str | None = typer.Option(
        None, help="Hub config (gpqa: diamond|main; mmlu: all|subject)."
    ),
    split: str | None = typer.Option(
        None, help="Hub split (gpqa: train; mmlu: test|dev|validation)."
    ),
    token_env: str = typer.Option("HF_TOKEN", help="Env var holding a hub token (GPQA is gated)."),
    limit: int = typer.Option(5, help="How many to print."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """Load a dataset and print some of its questions (checks a local file's schema)."""
    from pydantic import ValidationError

    from agentbench.tasks.mc.datasets import DatasetSpec, load_questions

    try:
        levels = [int(x) for x in difficulty.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(f"{difficulty!r} is not a list of integers", field="--difficulty",
                          fix="write steps comma-separated, e.g. 2,4,8") from None  # fmt: skip
    try:
        spec = DatasetSpec.model_validate(
            {"source": source, "path": path, "n": n, "difficulty": levels, "config": config,
             "split": split, "token_env": token_env}
        )  # fmt: skip
    except ValidationError as exc:
        # name the option the user typed, not the first line of pydantic's dump
        loc, msg, _ = first_problem(exc)
        opt = "--" + loc.split(".")[0].replace("_", "-") if loc else "--source"
        raise ConfigError(msg, field=opt, fix="see agentbench mc questions --help") from None
    qs = load_questions(spec)
    out.print(f"{len(qs)} questions")
    for q in qs[:limit]:
        if as_json:
            out.print(json.dumps(q.model_dump()), markup=False, highlight=False)
        else:
            out.print(f"[bold]{q.id}[/] ({q.subject}) target {q.target}")
            out.print(q.question, markup=False, highlight=False)
            for i, o in enumerate(q.options):
                out.print(f"  ({chr(65 + i)}) {o}", markup=False, highlight=False)
