"""`agentbench plan SPEC`: samples, tokens, cost, wall time, disk and what is missing, before running."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from agentbench.errors import ConfigError

app = typer.Typer(add_completion=False)
out = Console(soft_wrap=True)


def _is_synth(path: Path) -> bool:
    """A synthetic-optimizer config (sizes/train/rollout), not a sweep spec."""
    from agentbench.safeyaml import load_yaml

    try:
        doc = load_yaml(path.read_text(encoding="utf-8"), source=str(path))
    except Exception:
        return False  # load_spec reports what is wrong with it
    return isinstance(doc, dict) and "sizes" in doc and "systems" not in doc


@app.command("plan")
def plan_cmd(
    spec_path: Annotated[Path, typer.Argument(help="Sweep spec YAML, or a synth config.")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a spec key or var: --set model=gpt-4o"),
    ] = None,
    from_run: Annotated[
        Path | None,
        typer.Option(help="Run folder whose samples of the same systems give tokens/time."),
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option(help="Samples in flight (default: the spec's).")
    ] = None,
    ray_workers: Annotated[int | None, typer.Option(help="Ray workers running samples.")] = None,
    pilot: Annotated[
        int | None, typer.Option(help="Run N samples per system first, then plan from them.")
    ] = None,
) -> None:
    """Print what a sweep will cost (tokens, $, wall time, disk) and what is missing; runs nothing."""
    from agentbench.planning.build import build_plan
    from agentbench.planning.render import print_plan
    from agentbench.store.schema import DB_NAME
    from agentbench.sweep.spec import load_spec

    if concurrency is not None and ray_workers is not None:
        raise ConfigError("give one of them", field="--concurrency/--ray-workers", fix="drop one")
    for name, v in (
        ("--concurrency", concurrency),
        ("--ray-workers", ray_workers),
        ("--pilot", pilot),
    ):
        if v is not None and v < 1:
            raise ConfigError(f"{v}", field=name, fix="pass 1 or more")
    if _is_synth(spec_path):
        from agentbench.planning.synth import print_synth_plan
        from agentbench.tasks.synthetic.config import load_config

        if set_ or from_run or pilot:
            raise ConfigError(
                "is a synth config: --set/--from-run/--pilot apply to sweep specs",
                path=str(spec_path), fix="edit the config, or plan a sweep spec",
            )  # fmt: skip
        print_synth_plan(load_config(str(spec_path)), out)
        return
    spec = load_spec(spec_path, set_ or [])
    if from_run is not None and not (from_run / DB_NAME).is_file():
        raise ConfigError(
            f"not a run folder (no {DB_NAME})", path=str(from_run), field="--from-run",
            fix="pass a folder written by agentbench run",
        )  # fmt: skip
    if pilot is not None:
        from agentbench.planning.pilot import run_pilot

        rd, summary = run_pilot(spec, pilot, source=str(spec_path))
        out.print(
            f"pilot: {summary.done} samples done, {summary.missing} missing, in {rd} "
            f"({summary.wall_s:.1f} s wall)",
            highlight=False,
        )
        from_run = rd
    plan = build_plan(
        spec,
        from_run=from_run,
        workers=ray_workers or concurrency,
        worker_kind="Ray workers" if ray_workers else "samples in flight",
    )
    print_plan(plan, out)
