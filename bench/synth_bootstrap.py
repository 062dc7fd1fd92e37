"""How much of a synth run's size slopes is start-sampling noise? Bootstrap over rollout starts.

    OMP_NUM_THREADS=1 python bench/synth_bootstrap.py --run runs/synth/cpu_long --config cpu_long

Rolls every trained size out again (greedy decoding, so the iterates are the ones the
report measured; checked against rollout.npz), then resamples the N start points with
replacement, the same resample for every size (they share their starts), and refits the
log-log slopes of final-step and last-quarter bias² and variance vs parameters. Prints
the slopes' 2.5/50/97.5 % quantiles and how often bias² has the steeper slope. Training-seed
noise (one model per size) is not in these intervals.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from agentbench.analysis.synthetic import late_window
from agentbench.tasks.synthetic import experiment
from agentbench.tasks.synthetic.config import load_config
from agentbench.tasks.synthetic.rollout import rollout
from agentbench.tasks.synthetic.train import load_checkpoint


def iterates(cfg_name: str, run: Path, size: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(iterates (R, N, d), record steps, params) of one trained size, rolled out again."""
    cfg = load_config(cfg_name)
    device = experiment.resolve_device(cfg)
    problem = experiment.build_problem(cfg)
    model = experiment.new_model(cfg, size)
    model.load_state_dict(load_checkpoint(run / size / "checkpoint.pt")["model"])
    x0 = experiment.rollout_starts(cfg, problem, device)
    with torch.no_grad():
        recs, steps = rollout(model.to(device), x0, cfg.rollout.steps, cfg.rollout.record_every)
    params = sum(p.numel() for p in model.parameters())
    return recs.cpu().numpy(), np.array(steps), np.array(params)


def decompose(it: np.ndarray, b: np.ndarray, A: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """bias² and variance per step (2, R) of iterates it (R, N, d) for start resample idx."""
    x = it[:, idx]
    m = x.mean(axis=1)
    dm = m - b
    bias2 = np.einsum("rd,de,re->r", dm, A, dm)
    dx = x - m[:, None]
    var = np.einsum("rnd,de,rne->r", dx, A, dx) / x.shape[1]
    return np.stack([bias2, var])


def slope(params: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of log10 y on log10 params (as report.py fits it)."""
    return float(np.polyfit(np.log10(params), np.log10(y), 1)[0])


def main() -> None:
    """Roll out, check, bootstrap, print."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    cfg = load_config(args.config)
    torch.set_num_threads(cfg.threads or 1)
    problem = experiment.build_problem(cfg)
    A, b = problem.A.numpy(), problem.b.numpy()
    sizes = [s for s in cfg.sizes if (args.run / s / "rollout.npz").is_file()]
    runs = {s: iterates(args.config, args.run, s) for s in sizes}
    n = next(iter(runs.values()))[0].shape[1]
    for s, (it, _, _) in runs.items():
        ref = np.load(args.run / s / "rollout.npz")
        got = decompose(it, b, A, np.arange(n))
        # same iterates as the report's, else the intervals would be about another rollout
        assert np.allclose(got[0], ref["bias2"]) and np.allclose(got[1], ref["variance"]), s
    params = np.array([runs[s][2] for s in sizes], dtype=float)
    late = late_window(next(iter(runs.values()))[1])
    rng = np.random.default_rng(args.seed)
    subsets = {"all": sizes} | {
        f"without {s}": [t for t in sizes if t != s] for s in sizes if len(sizes) > 3
    }
    fits: dict[str, list[tuple[float, float, float, float]]] = {k: [] for k in subsets}
    for _ in range(args.resamples):
        idx = rng.integers(0, n, n)
        dec = {s: decompose(runs[s][0], b, A, idx) for s in sizes}
        for name, sub in subsets.items():
            p = params[[sizes.index(s) for s in sub]]
            fb = [dec[s][0, -1] for s in sub]
            fv = [dec[s][1, -1] for s in sub]
            lb = [dec[s][0, late].mean() for s in sub]
            lv = [dec[s][1, late].mean() for s in sub]
            fits[name].append((slope(p, fb), slope(p, fv), slope(p, lb), slope(p, lv)))
    print(f"run {args.run}: sizes {sizes}, {n} starts, {args.resamples} start resamples")
    for name, rows in fits.items():
        a = np.array(rows)
        q = np.percentile(a, [2.5, 50, 97.5], axis=0)
        cells = [
            f"{lab} {q[1, j]:+.2f} [{q[0, j]:+.2f}, {q[2, j]:+.2f}]"
            for j, lab in enumerate(("final bias²", "final var", "late bias²", "late var"))
        ]
        steeper_f = float((a[:, 0] < a[:, 1]).mean())
        steeper_l = float((a[:, 2] < a[:, 3]).mean())
        print(
            f"{name:<12} " + "  ".join(cells) + f"  P(bias² steeper): final {steeper_f:.2f},"
            f" late {steeper_l:.2f}"
        )


if __name__ == "__main__":
    main()
