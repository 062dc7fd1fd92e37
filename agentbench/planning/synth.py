"""The plan of a synthetic-optimizer config: work per size, GPU time from the GPU bench, disk."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from rich.console import Console
from rich.table import Table

from agentbench.tasks.synthetic.config import SynthConfig

GPU_RESULT = (
    Path(__file__).resolve().parents[2] / "bench" / "results" / "synth_gpu" / "synth_gpu.json"
)


def _gpu_hours(path: Path = GPU_RESULT) -> tuple[float | None, str]:
    """The sweep's GPU-hours measured by bench/synth_gpu.py, or why there is no figure."""
    if not path.is_file():
        return (
            None,
            f"{path.relative_to(path.parents[3])} not there (run bench/synth_gpu.py on a GPU)",
        )
    try:
        sweep = json.loads(path.read_text())["sweep"]
        h = float(sweep["total_gpu_hours"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return None, f"{path.name} has no sweep figure ({type(exc).__name__})"
    return h, f"bench/synth_gpu.py result ({'complete' if sweep.get('complete') else 'partial'})"


def print_synth_plan(cfg: SynthConfig, console: Console) -> None:
    """Sizes × (training examples, rollout steps); no tokens or dollars: it runs on a local GPU."""
    t = Table(
        title=f"plan: synthetic optimizer {cfg.name} → {cfg.out_dir}/{cfg.name}",
        title_justify="left",
    )
    for col in ("size", "train steps × batch", "rollouts (starts × steps)", "device"):
        t.add_column(col)
    for s in cfg.sizes:
        t.add_row(
            s,
            f"{cfg.train.steps:,} × {cfg.train.batch_size:,}",
            f"{cfg.rollout.n_starts:,} × {cfg.rollout.steps:,}",
            cfg.device,
        )
    console.print(t)
    pts = cfg.data.n_train * cfg.data.steps
    console.print(
        f"data: {cfg.data.n_train:,} trajectories × {cfg.data.steps:,} steps = {pts:,} iterates "
        f"(d={cfg.problem.d}: {pts * cfg.problem.d * 4 / 1e9:.2f} GB as float32)",
        highlight=False,
    )
    recs = cfg.rollout.n_starts * (cfg.rollout.steps // cfg.rollout.record_every)
    console.print(
        f"rollouts: {recs * cfg.problem.d * 4 * len(cfg.sizes) / 1e9:.2f} GB recorded iterates "
        f"over {len(cfg.sizes)} sizes; cost: no API calls ($0, local compute)",
        highlight=False,
    )
    h, how = _gpu_hours()
    console.print(
        f"GPU time: {'unknown' if h is None else f'{h:.2f} GPU-hours'} ({how})", highlight=False
    )
    if cfg.device == "cuda" and shutil.which("nvidia-smi") is None:
        console.print(
            "[bold yellow]missing to start:[/]\n  - a CUDA GPU (device: cuda; no nvidia-smi here)"
        )
    else:
        console.print("[green]nothing missing to start[/]")
