"""Diagnose a synthetic-optimizer run: is the data/tokenizer sound, and what field did each size learn?

    python bench/synth_diagnose.py --run runs/synth/cpu [--config cpu]

1. Quantisation: exact steepest descent against the same field pushed through the
   tokenizer (iterate read as tokens, update written as tokens), from the run's rollout
   starts; if the quantised field did not converge, no model could.
2. The learned field, for each trained size beside its own untrained weights: greedy
   updates at held-out training-distribution iterates (near b / far from b) and at points
   a distance r from b in random directions (off the training tube): cosine to the true
   update, fraction of updates that lower f, and the mean component towards b.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from agentbench.tasks.synthetic import experiment
from agentbench.tasks.synthetic import tokenizer as tok
from agentbench.tasks.synthetic.config import load_config
from agentbench.tasks.synthetic.data import Problem, generate_iterates, steepest_step
from agentbench.tasks.synthetic.measure import per_step
from agentbench.tasks.synthetic.model import DecoderLM
from agentbench.tasks.synthetic.rollout import predict_update_tokens
from agentbench.tasks.synthetic.train import load_checkpoint


def quantisation_check(problem: Problem, x0: torch.Tensor, steps: int) -> None:
    """Print distance, bias² and variance of exact vs tokenised steepest descent."""
    fields = {
        "exact": lambda x: steepest_step(problem, x),
        "tokenised": lambda x: tok.quantize(steepest_step(problem, tok.quantize(x))),
    }
    A, b = problem.A.numpy(), problem.b.numpy()
    marks = sorted({0, steps // 4, steps // 2, steps})
    for name, field in fields.items():
        x, rec = x0.clone(), [x0.clone()]
        for _ in range(steps):
            x = x + field(x)
            rec.append(x)
        it = torch.stack(rec).numpy()
        s, dist = per_step(it, b, A), np.linalg.norm(it - b, axis=-1).mean(axis=1)
        cells = [
            f"t={t}: ‖x−b‖ {dist[t]:.4f} bias² {s['bias2'][t]:.2e} var {s['variance'][t]:.2e}"
            for t in marks
        ]
        print(f"  {name:9s} " + " | ".join(cells))


def field_quality(model: DecoderLM, problem: Problem, x: torch.Tensor) -> str:
    """Cosine to the true update, fraction descending, mean unit component towards b."""
    u = steepest_step(problem, x)
    uh = tok.decode(predict_update_tokens(model, x))
    cos = F.cosine_similarity(u, uh, dim=-1).nan_to_num(0.0)
    down = (problem.loss(x + uh) < problem.loss(x)).double()
    to_b = -(uh * (x - problem.b)).sum(-1) / (uh.norm(dim=-1) * (x - problem.b).norm(dim=-1))
    return f"cos {cos.mean():+.3f} descend {down.mean():.2f} towards-b {to_b.nan_to_num(0).mean():+.3f}"


def main() -> None:
    """Print the quantisation check and the per-size field diagnosis."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, required=True)
    ap.add_argument("--config", default=None, help="default: the run's config.yaml")
    ap.add_argument("--steps", type=int, default=None, help="quantisation check length")
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg = load_config(args.config or args.run / "config.yaml")
    problem = experiment.build_problem(cfg)
    x0 = experiment.rollout_starts(cfg, problem, torch.device("cpu"))
    steps = args.steps or cfg.rollout.steps
    print(f"quantisation ({x0.shape[0]} rollout starts, {steps} steps):")
    quantisation_check(problem, x0, steps)

    pc = cfg.problem
    held = generate_iterates(
        problem,
        32,
        cfg.data.steps,
        seed=cfg.seed + 2,
        spread=pc.train_spread,
        spread_radius=pc.train_radius,
    )
    gen = torch.Generator().manual_seed(cfg.seed + 11)
    held = held[torch.randperm(held.shape[0], generator=gen)[:2048]]
    near = (held - problem.b).norm(dim=-1) < 0.02
    probes = {"train-dist near b (<0.02)": held[near], "train-dist far": held[~near]}
    for r in (0.01, 0.05, 0.2):
        d = torch.randn(1024, problem.d, generator=gen, dtype=torch.float64)
        probes[f"random dir, r={r}"] = problem.b + r * d / d.norm(dim=-1, keepdim=True)
    print("learned field (greedy update vs steepest descent), trained | untrained:")
    for size in cfg.sizes:
        ck_path = args.run / size / "checkpoint.pt"
        if not ck_path.is_file():
            continue
        trained, untrained = experiment.new_model(cfg, size), experiment.new_model(cfg, size)
        ck = load_checkpoint(ck_path)
        trained.load_state_dict(ck["model"])
        params = sum(p.numel() for p in trained.parameters())
        print(f"  {size} ({params:,} params, {ck['step']} steps):")
        for name, x in probes.items():
            print(
                f"    {name:26s} {field_quality(trained, problem, x)} | "
                f"{field_quality(untrained, problem, x)}"
            )


if __name__ == "__main__":
    main()
