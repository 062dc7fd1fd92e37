"""`agentbench replay TRAJ`: re-run a trajectory's actions, or fork it at step K with new seeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from agentbench.textsafe import plain, safe

app = typer.Typer(help="Replay and fork trajectories.")
out = Console()
err = Console(stderr=True)


def _sandbox_factory(image: str, workdir: str, run_id: str, task_env: dict[str, str]) -> Any:
    """A factory of fresh Docker sandboxes for the trajectory's image and task env."""
    from agentbench.agent.secrets import sandbox_env
    from agentbench.sandbox.docker import DockerSandbox

    # the task's recorded env (e.g. determinism settings) comes from the file, not the host
    env = {**sandbox_env(), **{str(k): str(v) for k, v in task_env.items()}}
    return lambda: DockerSandbox(image, run_id=run_id, workdir=workdir, env=env)


def _load_model_config(
    path: Path | None, recorded: dict[str, Any], base_url: str | None, api_key_env: str | None,
    source: str,
) -> Any:  # fmt: skip
    """The replayer's ModelConfig: --model-config, else the recorded model without its endpoint."""
    from pydantic import ValidationError

    from agentbench.agent.recorded_model import RecordedModel
    from agentbench.config import ModelConfig
    from agentbench.errors import ConfigError
    from agentbench.records import first_problem
    from agentbench.safeyaml import read_yaml

    if path is None:
        rec = RecordedModel(recorded.get("model"), source=source)
        # a recorded value the replayer named in a flag is their choice now: not withheld
        named = {"base_url": base_url, "api_key_env": api_key_env}
        withheld = {k: v for k, v in rec.withheld().items() if named.get(k) != v}
        if withheld:
            # shown, never used on the file's say-so: the flags below are the replayer's choice
            shown = ", ".join(f"{k}={v!r}" for k, v in withheld.items())
            err.print(
                f"the trajectory asks for {plain(shown)}; not used (replay uses your provider defaults, "
                "--base-url and --api-key-env)",
                markup=False,
                highlight=False,
            )
        return rec.config(base_url=base_url, api_key_env=api_key_env)
    raw = read_yaml(path, what="model config", fix="give a YAML ModelConfig", mapping=False)
    if isinstance(raw, dict) and "model" in raw and isinstance(raw["model"], dict):
        raw = raw["model"]  # a whole system config: take its model
    if isinstance(raw, dict):
        raw = {
            **raw,
            **{k: v for k, v in (("base_url", base_url), ("api_key_env", api_key_env)) if v},
        }
    try:
        return ModelConfig.model_validate(raw)
    except ValidationError as exc:
        loc, msg, _ = first_problem(exc)
        fix = "see agentbench/config.py ModelConfig"
        raise ConfigError(msg, path=str(path), field=loc or None, fix=fix) from None


@app.command("replay")
def replay(
    traj: Path = typer.Argument(..., help="Trajectory file (JSONL)."),
    fork_at: list[int] = typer.Option(
        [], "--fork-at", help="Fork after K model calls (repeatable)."
    ),
    seeds: int = typer.Option(5, "--seeds", help="Continuations per fork point."),
    seed_start: int = typer.Option(1000, "--seed-start", help="First seed of the continuations."),
    model_config: Path | None = typer.Option(
        None,
        "--model-config",
        help="YAML ModelConfig for the continuations (default: the recorded model and "
        "sampling, reached through your provider's defaults).",
    ),
    base_url: str | None = typer.Option(
        None,
        "--base-url",
        help="Endpoint for the continuations; the trajectory's own base_url is used only if "
        "you name it here.",
    ),
    api_key_env: str | None = typer.Option(
        None,
        "--api-key-env",
        help="Variable holding your key; the trajectory's api_key_env is used only if you name it here.",
    ),
    image: str | None = typer.Option(
        None, "--image", help="Sandbox image (default: task_info.image)."
    ),
    workdir: str | None = typer.Option(
        None, "--workdir", help="Sandbox workdir (default: task_info.workdir)."
    ),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Folder for fork trajectories (default: next to TRAJ)."
    ),
    concurrency: int = typer.Option(1, "--concurrency", help="Forks run at once."),
    grade: bool = typer.Option(
        False, "--grade", help="Grade each fork's patch with the recorded task (task_info.dataset)."
    ),
    task_spec: Path | None = typer.Option(
        None, "--task-spec", help="YAML task spec to grade forks with (implies --grade)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Re-run TRAJ's actions in a fresh sandbox and show where observations differ; with --fork-at, continue from step K under new seeds."""
    from agentbench.errors import ConfigError, DataError
    from agentbench.trajectory import read_trajectory

    for name, value in (("--seeds", seeds), ("--concurrency", concurrency)):
        if value < 1:  # zero seeds would fork nothing and report success
            raise ConfigError(f"{value} must be at least 1", field=name, fix="pass 1 or more")
    t = read_trajectory(traj)
    info = t.start.task_info
    img = image or info.get("image")
    if not img:
        raise DataError(
            "the start event has no task_info.image",
            path=str(traj),
            field="start.task_info.image",
            fix="pass --image",
        )
    wd = workdir or info.get("workdir") or "/"
    env = info.get("env") if isinstance(info.get("env"), dict) else {}
    factory = _sandbox_factory(img, wd, f"replay-{t.start.key.key[:12]}", env)
    if not fork_at:
        _replay(traj, factory, as_json)
    else:
        grader = _grader(traj, t, task_spec) if (grade or task_spec) else None
        mc = _load_model_config(
            model_config, t.start.system_config, base_url, api_key_env, str(traj)
        )
        _fork(traj, t, factory, fork_at, seeds, seed_start, mc, out_dir, concurrency, as_json, grader)  # fmt: skip


def _replay(traj: Path, factory: Any, as_json: bool) -> None:
    from agentbench.agent.replay import replay_actions

    with factory() as sb:
        rep = replay_actions(traj, sb)
    if as_json:
        out.print_json(rep.model_dump_json())
        return
    table = Table("#", "step", "tool", "command", "exit rec/new", "same")
    for s in rep.steps:
        table.add_row(
            str(s.index), str(s.step), safe(s.tool), safe(s.command[:60]),
            f"{s.recorded_exit}/{s.replay_exit}", "yes" if s.same else "[red]NO[/]",
        )  # fmt: skip
    out.print(table)
    for s in rep.steps:
        if not s.same:
            out.rule(f"action {s.index} (step {s.step}) differs")
            out.print(
                plain(s.diff) or "(exit status or timeout differs)", markup=False, highlight=False
            )
    first = "none" if rep.first_divergence is None else f"action {rep.first_divergence}"
    out.print(
        f"{rep.n_differ}/{rep.n_actions} actions gave a different observation; first divergence: {first}"
    )


def _grader(traj: Path, t: Any, task_spec: Path | None) -> Any:
    """grade(patch) -> TestOutcome through the task that recorded the trajectory."""

    from agentbench.errors import ConfigError, DataError
    from agentbench.safeyaml import read_yaml
    from agentbench.tasks.registry import make_task

    info = t.start.task_info
    if task_spec is not None:
        spec = read_yaml(task_spec, what="task spec", fix="give a YAML task spec")
    elif info.get("dataset"):
        spec = {"kind": "swebench", "dataset": info["dataset"]}
    else:
        raise DataError(
            "the start event has no task_info.dataset",
            path=str(traj),
            field="start.task_info.dataset",
            fix="pass --task-spec",
        )
    from agentbench.tasks.swebench.task import SWEBenchTask

    task = make_task(spec)
    if not isinstance(task, SWEBenchTask):
        raise ConfigError(
            f"task {task.name!r} cannot grade patches",
            path=str(task_spec or traj),
            fix="grade forks with a SWE-bench task spec",
        )
    inst = task.instance(t.start.key.instance_id)
    return lambda patch: task.grade(inst, patch)


def _fork(traj: Path, t: Any, factory: Any, fork_at: list[int], seeds: int, seed_start: int,
          mc: Any, out_dir: Path | None, concurrency: int, as_json: bool,
          grader: Any = None) -> None:  # fmt: skip
    from agentbench.agent.replay import fork
    from agentbench.models.factory import make_model
    from agentbench.sandbox.client import docker_client

    model = make_model(mc)
    docker_client()  # no engine: say so before the fork folder is made
    dest = out_dir or traj.parent / f"{traj.stem}.forks"
    rep = fork(traj, fork_at, list(range(seed_start, seed_start + seeds)), model,
               sandbox_factory=factory, out_dir=dest, model_config=mc, concurrency=concurrency,
               grade=grader)  # fmt: skip
    if as_json:
        out.print_json(rep.model_dump_json())
        return
    table = Table("fork at", "seed", "exit", "actions", "patch", "resolved")
    for r in rep.results:
        resolved = "-" if r.outcome is None else str(r.outcome.resolved)
        table.add_row(
            str(r.fork_at),
            str(r.seed),
            f"infra_error: {r.error[:60]}" if r.error else r.exit_status.value,
            str(r.n_actions),
            r.patch_hash or "-",
            resolved,
        )
    out.print(table)
    spread = Table(
        "fork at", "n", "missing", "distinct patches", "exit statuses", "resolved", "variance"
    )  # fmt: skip
    for s in rep.spread:
        statuses = ", ".join(f"{k}={v}" for k, v in sorted(s.exit_statuses.items()))
        var = "ungraded" if s.variance is None else f"{s.variance:.3f}"
        res = "-" if s.resolved_rate is None else f"{s.resolved_rate:.2f}"
        spread.add_row(
            str(s.fork_at), str(s.n), str(s.n_missing), str(s.distinct_patches), statuses, res, var
        )
    out.print(spread)
    out.print(f"fork trajectories in {dest}")
