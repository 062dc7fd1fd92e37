"""GPU benchmark for the synthetic optimizer: training throughput, MFU, rollout speed, sweep time.

Runs with nothing but torch + numpy + this repository's source (it puts the repo root on
sys.path), so it works on an offline GPU machine with PyTorch preinstalled:

    python bench/synth_gpu.py                      # H100/H200, bf16 autocast
    python bench/synth_gpu.py --device cpu --smoke  # a seconds-long check on any machine

Every figure is printed beside a baseline measured in the same run:
- training: bf16 autocast (the configuration we train with) vs fp32 (baseline);
- rollout: KV-cached constrained decoding (what `agentbench synth rollout` runs) vs
  recomputing the whole prefix for every token (baseline).
Model FLOPs utilisation assumes a peak of 989 TFLOPS (H100 SXM / H200, bf16 dense; override
with --peak-tflops). The paper-scale sweep estimate is Σ over sizes of the measured median
step time × 65,536 steps at batch 1024, plus 4,096 starts × 2,048 rollout steps per size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from agentbench.tasks.synthetic import data
from agentbench.tasks.synthetic import tokenizer as tok
from agentbench.tasks.synthetic.model import DecoderLM, build_model, load_sizes
from agentbench.tasks.synthetic.rollout import constrained_argmax, predict_update_tokens
from agentbench.tasks.synthetic.train import Trainer, TrainHParams

PAPER_STEPS, PAPER_BATCH, PAPER_STARTS, PAPER_ROLLOUT = 65536, 1024, 4096, 2048
PAPER_SIZES = ["50k", "100k", "200k", "500k", "1m", "2m", "5m"]
WARMUP = [5]  # untimed calls before timing (compilation, allocator, cuBLAS heuristics)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _median_time(fn: Callable[[], object], n: int, warmup: int, device: torch.device) -> float:
    """Median wall time of fn() over n calls after warmup calls."""
    for _ in range(warmup):
        fn()
    _sync(device)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def train_step_time(
    size: str,
    problem: data.Problem,
    train_x: torch.Tensor,
    batch: int,
    steps: int,
    device: torch.device,
    bf16: bool = True,
) -> float:
    """Median seconds per optimizer step (bf16 autocast, or fp32 for the baseline)."""
    torch.manual_seed(0)
    model = build_model(size, load_sizes(), data.seq_len(problem.d))
    hp = TrainHParams(steps=10**9, batch_size=batch, bf16=bf16)
    tr = Trainer(model, problem, train_x.to(device), hp)
    return _median_time(tr._step, steps, WARMUP[0], device)


@torch.no_grad()
def _decode_no_cache(model: DecoderLM, x: torch.Tensor) -> torch.Tensor:
    """Baseline decoding: recompute the full prefix for every generated token."""
    seq = data.prompt_tokens(x)
    for j in range(x.shape[1] * tok.NUM_LEN):
        with torch.autocast(
            device_type=x.device.type, dtype=torch.bfloat16, enabled=x.device.type == "cuda"
        ):
            logits = model(seq)[:, -1]
        nxt = constrained_argmax(logits, j % tok.NUM_LEN == tok.SIGN_SLOT)
        seq = torch.cat([seq, nxt[:, None]], dim=1)
    return seq[:, 2 + x.shape[1] * tok.NUM_LEN :]


def rollout_step_time(
    size: str,
    problem: data.Problem,
    n_starts: int,
    steps: int,
    device: torch.device,
    cached: bool = True,
) -> float:
    """Median seconds per rollout step (decode the update, add it, re-tokenise)."""
    torch.manual_seed(0)
    model = build_model(size, load_sizes(), data.seq_len(problem.d)).to(device).eval()
    gen = torch.Generator(device=device).manual_seed(0)
    state = {"x": data.sample_starts(problem, n_starts, gen)}
    decode = predict_update_tokens if cached else _decode_no_cache

    def one() -> None:
        state["x"] = state["x"] + tok.decode(decode(model, state["x"]))

    return _median_time(one, steps, min(1, WARMUP[0]), device)


def check_tokenizer(device: torch.device) -> bool:
    """Round trip on the device gives the same tokens and values as on the CPU."""
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(4096, 4, generator=g, dtype=torch.float64) * 2 - 1) * torch.logspace(
        -12, 1, 4096, dtype=torch.float64
    )[:, None]
    t_cpu = tok.encode(x)
    t_dev = tok.encode(x.to(device)).cpu()
    q = tok.decode(t_dev.to(device)).cpu()
    return (
        torch.equal(t_cpu, t_dev)
        and torch.equal(q, tok.decode(t_cpu))
        and torch.equal(tok.encode(q), t_cpu)
    )


def main() -> None:
    """Measure and print."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--smoke", action="store_true", help="tiny batches and step counts (CPU check)")
    ap.add_argument("--size", default="5m", help="size for the headline figures (default: largest)")
    ap.add_argument("--train-steps", type=int, default=50, help="timed optimizer steps")
    ap.add_argument("--batch", type=int, default=PAPER_BATCH)
    ap.add_argument("--starts", type=int, default=PAPER_STARTS)
    ap.add_argument("--rollout-steps", type=int, default=10, help="timed rollout steps")
    ap.add_argument(
        "--peak-tflops", type=float, default=None, help="default 989 on cuda (H100/H200 bf16)"
    )
    ap.add_argument("--no-sweep", action="store_true", help="skip the per-size sweep estimate")
    args = ap.parse_args()
    if args.smoke:
        args.train_steps, args.batch, args.starts, args.rollout_steps = 1, 16, 32, 1
        WARMUP[0] = 1
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit("no GPU visible to torch: pass --device cpu --smoke for a CPU check")
    if device.type == "cpu":
        torch.set_num_threads(1 if args.smoke else torch.get_num_threads())
    name = torch.cuda.get_device_name() if device.type == "cuda" else "cpu"
    print(f"device: {name}; torch {torch.__version__}; python {sys.version.split()[0]}")
    print(f"tokenizer round trip on {device.type} identical to cpu: {check_tokenizer(device)}")

    problem = data.make_problem(seed=0, start_offset=1.0, start_radius=0.25)
    n_traj, t_traj = (64, 64) if args.smoke else (2048, 512)
    train_x = data.generate_iterates(problem, n_traj, t_traj, seed=1, device=device)
    problem_dev = problem.to(device)
    shape = build_model(args.size, load_sizes(), data.seq_len(4)).shape
    tokens_per_step = args.batch * (data.seq_len(4) - 1)
    flops_per_step = shape.train_flops_per_token() * tokens_per_step

    t_bf16 = train_step_time(args.size, problem_dev, train_x, args.batch, args.train_steps, device)
    t_fp32 = train_step_time(
        args.size, problem_dev, train_x, args.batch, args.train_steps, device, bf16=False
    )
    if args.peak_tflops is None and device.type == "cuda":
        args.peak_tflops = 989.0
    on = "bf16 autocast" if device.type == "cuda" else "autocast off"
    print(
        f"\ntraining, size {args.size} ({shape.param_count():,} params), batch {args.batch}, "
        f"median of {args.train_steps} steps:"
    )
    for label, t in ((on, t_bf16), ("fp32 baseline", t_fp32)):
        achieved = flops_per_step / t
        mfu = (
            f"MFU {100 * achieved / (args.peak_tflops * 1e12):6.2f}% of {args.peak_tflops:.0f} TFLOPS"
            if args.peak_tflops
            else "MFU n/a (no peak given for this device)"
        )
        print(
            f"  {label:14s} {t * 1e3:9.2f} ms/step  {tokens_per_step / t:12,.0f} tokens/s  "
            f"{achieved / 1e12:8.3f} TFLOP/s  {mfu}"
        )
    print(f"  speed-up {on} / fp32: {t_fp32 / t_bf16:.2f}x")

    r_cache = rollout_step_time(args.size, problem_dev, args.starts, args.rollout_steps, device)
    r_full = rollout_step_time(
        args.size, problem_dev, args.starts, args.rollout_steps, device, cached=False
    )
    print(
        f"\nrollout, size {args.size}, {args.starts} start points, median of {args.rollout_steps} steps:"
    )
    print(
        f"  KV cache        {1 / r_cache:9.2f} steps/s ({args.starts / r_cache:,.0f} iterate updates/s)"
    )
    print(f"  no-cache base   {1 / r_full:9.2f} steps/s")
    print(f"  speed-up cache / no-cache: {r_full / r_cache:.2f}x")

    if args.no_sweep:
        return
    sizes = PAPER_SIZES
    print(
        f"\npaper-scale sweep estimate ({len(sizes)} sizes x {PAPER_STEPS:,} steps x batch "
        f"{PAPER_BATCH}, then {PAPER_STARTS} starts x {PAPER_ROLLOUT} rollout steps):"
    )
    scale_b = PAPER_BATCH / args.batch
    scale_n = PAPER_STARTS / args.starts
    total = 0.0
    for s in sizes:
        ts = train_step_time(
            s, problem_dev, train_x, args.batch, max(2, args.train_steps // 5), device
        )
        rs = rollout_step_time(s, problem_dev, args.starts, 1 if args.smoke else 3, device)
        # smoke runs use small batches: scale linearly (an upper bound on a GPU, where small
        # batches under-use the device)
        train_h = ts * scale_b * PAPER_STEPS / 3600
        roll_h = rs * scale_n * PAPER_ROLLOUT / 3600
        total += train_h + roll_h
        print(
            f"  {s:5s} train {ts * 1e3:8.2f} ms/step -> {train_h:7.2f} h   rollout {roll_h:6.2f} h"
        )
    print(
        f"  total: {total:.1f} h on this device{' (smoke: scaled from tiny batches)' if args.smoke else ''}"
    )


if __name__ == "__main__":
    main()
