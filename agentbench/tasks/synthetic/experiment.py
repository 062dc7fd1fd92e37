"""Run an experiment from its config: data, training per size, rollouts; files in the run folder.

Layout of ``<out>``::

    config.yaml                  the config that produced it
    <size>/checkpoint.pt         model + optimizer + step + RNG (resumable)
    <size>/meta.json             data hash, parameter count, untrained held-out loss
    <size>/train_log.jsonl       one row per log interval
    <size>/train.json            final held-out loss, tokens/s
    <size>/rollout.npz, .json    per-step bias², variance, error, incoherence
    ground_truth.npz             the same for exact steepest descent from the same starts
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from agentbench.errors import ConfigError, EnvironmentProblem
from agentbench.logging import get_logger
from agentbench.tasks.synthetic.config import SynthConfig

log = get_logger(__name__)

Progress = Callable[[str], None]


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise EnvironmentProblem(
            "torch is not installed",
            field="synth",
            fix="pip install 'agentbench[synth]' (on CPU machines: pip install torch==2.13.0)",
        ) from None
    return torch


def resolve_device(cfg: SynthConfig) -> Any:
    """The torch device the config asks for; cuda without a GPU is an EnvironmentProblem."""
    torch = _torch()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    if cfg.device == "cpu" or (cfg.device == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise EnvironmentProblem(
            "config asks for device cuda but torch sees no GPU",
            field="device",
            fix="set device: auto or cpu",
        )
    return torch.device("cuda")


def write_json(path: Path, obj: Any) -> None:
    """Write JSON atomically so a crash never leaves half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=True))
    os.replace(tmp, path)


def write_npz(path: Path, **arrays: Any) -> None:
    """Write an .npz atomically."""
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        np.savez(fh, **arrays)
    os.replace(tmp, path)


def prepare_out(cfg: SynthConfig, out: Path) -> None:
    """Create the run folder and record the config; refuse a folder made by another config."""
    out.mkdir(parents=True, exist_ok=True)
    cfg_file = out / "config.yaml"
    dumped = yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)
    if cfg_file.exists():
        try:
            old = SynthConfig.model_validate(yaml.safe_load(cfg_file.read_text()))
        except Exception:
            old = None
        if old is None or old.data_hash() != cfg.data_hash():
            raise ConfigError(
                "run folder holds results of a different problem/data/train config",
                path=str(cfg_file),
                fix="use another --out folder or delete this one",
            )
    tmp = cfg_file.with_suffix(".yaml.tmp")
    tmp.write_text(dumped)
    os.replace(tmp, cfg_file)


def build_problem(cfg: SynthConfig) -> Any:
    """The seeded quadratic of this config."""
    from agentbench.tasks.synthetic.data import make_problem

    p = cfg.problem
    return make_problem(
        p.d, p.condition, p.eta, p.b_scale, p.start_offset, p.start_radius, seed=cfg.seed
    )


def build_data(cfg: SynthConfig, problem: Any, device: Any) -> tuple[Any, Any]:
    """(training iterates, held-out evaluation iterates), generated on the device."""
    torch = _torch()
    from agentbench.tasks.synthetic.data import generate_iterates

    dc, pc = cfg.data, cfg.problem
    spread = {"spread": pc.train_spread, "spread_radius": pc.train_radius}
    train_x = generate_iterates(
        problem, dc.n_train, dc.steps, seed=cfg.seed + 1, device=device, **spread
    )
    held = generate_iterates(
        problem, dc.n_heldout, dc.steps, seed=cfg.seed + 2, device=device, **spread
    )
    pick = torch.linspace(0, held.shape[0] - 1, min(dc.eval_pairs, held.shape[0]), device=device)
    return train_x, held[pick.round().long()]


def rollout_starts(cfg: SynthConfig, problem: Any, device: Any) -> Any:
    """The held-out start points (same on every device: drawn on the CPU)."""
    torch = _torch()
    from agentbench.tasks.synthetic.data import sample_starts

    gen = torch.Generator().manual_seed(cfg.seed + 3)
    return sample_starts(problem, cfg.rollout.n_starts, gen).to(device)


def new_model(cfg: SynthConfig, size: str) -> Any:
    """An untrained model of `size`, seeded so that every run starts from the same weights."""
    torch = _torch()
    from agentbench.tasks.synthetic.data import seq_len
    from agentbench.tasks.synthetic.model import build_model
    from agentbench.tasks.synthetic.sizes import load_sizes

    torch.manual_seed(cfg.seed)
    return build_model(size, load_sizes(), seq_len(cfg.problem.d))


def train_size(
    cfg: SynthConfig, size: str, out: Path, fresh: bool = False, progress: Progress | None = None
) -> dict[str, Any]:
    """Train one size (resuming from its checkpoint unless `fresh`); returns train.json."""
    from agentbench.tasks.synthetic.data import seq_len
    from agentbench.tasks.synthetic.train import Trainer, TrainHParams, teacher_forced_loss

    device = resolve_device(cfg)
    prepare_out(cfg, out)
    problem = build_problem(cfg)
    train_x, eval_x = build_data(cfg, problem, device)
    model = new_model(cfg, size)
    tc = cfg.train
    hp = TrainHParams(**tc.model_dump(exclude={"log_every"}), seed=cfg.seed)
    trainer = Trainer(model, problem, train_x, hp)
    folder = out / size
    folder.mkdir(exist_ok=True)
    ckpt, meta_file, log_file = (
        folder / "checkpoint.pt",
        folder / "meta.json",
        folder / "train_log.jsonl",
    )
    if fresh:
        for f in (ckpt, meta_file, log_file, folder / "train.json"):
            f.unlink(missing_ok=True)
    if ckpt.exists():
        trainer.load(ckpt)
        meta = json.loads(meta_file.read_text())
        log.info("synth.resume", size=size, step=trainer.step)
    else:
        meta = {
            "size": size,
            "params": sum(p.numel() for p in model.parameters()),
            "data_hash": cfg.data_hash(),
            "untrained_heldout_loss": teacher_forced_loss(trainer.model, trainer.problem, eval_x),
        }
        write_json(meta_file, meta)
        log_file.unlink(missing_ok=True)
    start_step, t0 = trainer.step, time.perf_counter()

    def on_log(step: int, loss: float) -> None:
        row = {"step": step, "loss": loss, "wall_s": time.perf_counter() - t0}
        with log_file.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
        if progress:
            progress(f"{size}: step {step}/{hp.steps} loss {loss:.4f}")

    trainer.train(every=tc.log_every, callback=on_log, checkpoint=ckpt)
    wall = time.perf_counter() - t0
    # every position of the (length L - 1) input is computed, the loss uses the update ones
    tokens = (trainer.step - start_step) * hp.batch_size * (seq_len(cfg.problem.d) - 1)
    summary = {
        **meta,
        "steps": trainer.step,
        "heldout_loss": teacher_forced_loss(trainer.model, trainer.problem, eval_x),
        "train_wall_s": wall,
        "train_tokens_per_s": tokens / wall if wall > 0 and tokens else None,
        "device": str(device),
    }
    write_json(folder / "train.json", summary)
    return summary


def rollout_size(
    cfg: SynthConfig, size: str, out: Path, progress: Progress | None = None
) -> dict[str, Any]:
    """Roll out a trained size from the held-out starts; writes rollout.npz/json."""
    from agentbench.tasks.synthetic.measure import per_step
    from agentbench.tasks.synthetic.rollout import ground_truth_rollout, rollout
    from agentbench.tasks.synthetic.train import load_checkpoint

    device = resolve_device(cfg)
    problem = build_problem(cfg)
    ck = load_checkpoint(out / size / "checkpoint.pt")
    meta_file = out / size / "meta.json"
    if json.loads(meta_file.read_text()).get("data_hash") != cfg.data_hash():
        raise ConfigError(
            "this size was trained under a different problem/data/train config",
            path=str(meta_file),
            fix="train it again with this config or roll out with the config it was trained with",
        )
    model = new_model(cfg, size)
    model.load_state_dict(ck["model"])
    model.to(device)
    x0 = rollout_starts(cfg, problem, device)
    rc = cfg.rollout
    t0 = time.perf_counter()
    recs, steps = rollout(model, x0, rc.steps, rc.record_every)
    wall = time.perf_counter() - t0
    A, b = problem.A.numpy(), problem.b.numpy()
    it = recs.cpu().numpy()
    stats = per_step(it, b, A)
    dist = np.linalg.norm(it - b, axis=-1).mean(axis=1)
    write_npz(out / size / "rollout.npz", steps=np.array(steps), mean_dist=dist, **stats)
    summary = {
        "size": size,
        "train_step": int(ck["step"]),
        "n_starts": rc.n_starts,
        "rollout_steps": rc.steps,
        "rollout_steps_per_s": rc.steps / wall,
        "final": {k: float(v[-1]) for k, v in stats.items()} | {"mean_dist": float(dist[-1])},
    }
    write_json(out / size / "rollout.json", summary)
    # the reference is cheap and must match this config's rollout settings: always rewrite it
    g, gsteps = ground_truth_rollout(problem.to(device), x0, rc.steps, rc.record_every)
    gi = g.cpu().numpy()
    write_npz(
        out / "ground_truth.npz",
        steps=np.array(gsteps),
        mean_dist=np.linalg.norm(gi - b, axis=-1).mean(axis=1),
        **per_step(gi, b, A),
    )
    if progress:
        progress(f"{size}: rolled out {rc.n_starts} starts x {rc.steps} steps in {wall:.1f} s")
    return summary
