"""GPU benchmark for the synthetic optimizer: training tokens/s and MFU, rollout speed, sweep time.

Needs nothing but torch and this repository's source (it puts the repo root on sys.path), so
it runs on an offline GPU machine where only PyTorch is installed:

    python3 bench/synth_gpu.py --device cuda --out $OUT/synth_gpu.json   # H100/H200
    python3 bench/synth_gpu.py --device cpu --smoke --out /tmp/s.json    # seconds, any machine

Each figure stands beside a baseline measured in the same run:
- training, largest size, median over timed blocks of steps: bf16 autocast eager (what we
  train with) vs fp32 eager (baseline), and bf16 under torch.compile when it compiles;
- MFU = model FLOPs per step / step time / peak, against the spec bf16 dense peak read off
  the device name (H100 SXM and H200: 989 TFLOPS) and against a bf16 matmul measured here;
  model FLOPs per token = 6·(12·L·d² + V·d) + 12·L·d·T with T = 49, the trained context;
- rollout, 4,096 starts: KV-cached constrained decoding vs recomputing the prefix per token;
- sweep: Σ over sizes of measured step times × 65,536 steps at batch 1024, plus
  4,096 starts × 2,048 rollout steps, in GPU-hours on this device.

Robust by construction: each phase runs under try/except (a failure is reported and the next
phase runs); a phase starts only while the time cap leaves it room; a watchdog (and SIGTERM)
ends the run at the cap with the summary printed; the figures are rewritten atomically to
--out after every phase. Exit status: 0 all phases ran, 1 a phase failed or was skipped for
time, 2 the cap (or SIGTERM) ended the run.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import shutil
import signal
import statistics
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from agentbench.tasks.synthetic import data
from agentbench.tasks.synthetic import tokenizer as tok
from agentbench.tasks.synthetic.model import DecoderLM, ModelShape, build_model
from agentbench.tasks.synthetic.rollout import constrained_argmax, predict_update_tokens
from agentbench.tasks.synthetic.sizes import load_sizes
from agentbench.tasks.synthetic.train import Trainer, TrainHParams

PAPER_STEPS, PAPER_BATCH, PAPER_STARTS, PAPER_ROLLOUT = 65536, 1024, 4096, 2048
PAPER_SIZES = ["50k", "100k", "200k", "500k", "1m", "2m", "5m"]
TARGET_MFU, TARGET_SWEEP_H = 0.35, 2.0
D = 4  # the problem's dimension: sequences are 2 + 2·4·6 = 50 tokens, 49 trained positions
# bf16 dense tensor-core peaks (NVIDIA data sheets, no sparsity); first match on the name wins
PEAKS_TFLOPS = (
    ("H100 PCIe", 756.0),
    ("H100 NVL", 835.0),
    ("H200 NVL", 835.0),
    ("H100", 989.0),  # SXM: torch names it "NVIDIA H100 80GB HBM3"
    ("H200", 989.0),  # also GH200
    ("H800", 989.0),
    ("A100", 312.0),
)
WATCHDOG_EXIT = 2


def say(msg: str = "") -> None:
    """Print at once: the device runner may kill us, and what was printed must be there."""
    print(msg, flush=True)


def peak_tflops(device_name: str) -> tuple[float | None, str]:
    """(bf16 dense peak in TFLOPS, where it came from) for a device name; None if unknown."""
    for key, tflops in PEAKS_TFLOPS:
        if key.lower() in device_name.lower():
            return tflops, f"spec sheet, matched {key!r} in the device name"
    return None, "unknown device: pass --peak-tflops"


def train_flops_per_step(shape: ModelShape, batch: int) -> float:
    """Model FLOPs of one optimizer step: batch sequences of seq_len − 1 input positions."""
    context = data.seq_len(D) - 1
    return shape.train_flops_per_token(context) * batch * context


def sync(device: torch.device) -> None:
    """Wait for queued device work (timings must include it)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_calls(
    fn: Callable[[], object], calls: int, warmup: int, device: torch.device, blocks: int = 5
) -> dict[str, Any]:
    """Seconds per call: median over timed blocks, synchronising only at block ends.

    Warm-up calls (allocator, cuBLAS heuristics, compilation) are not timed; inside a block
    the host queues work ahead as a training loop does, so this is throughput, not latency.
    """
    for _ in range(warmup):
        fn()
    sync(device)
    n_blocks = max(1, min(blocks, calls))
    per_call = []
    for b in range(n_blocks):
        k = calls // n_blocks + (1 if b < calls % n_blocks else 0)
        t0 = time.perf_counter()
        for _ in range(k):
            fn()
        sync(device)
        per_call.append((time.perf_counter() - t0) / k)
    return {"s_per_call": statistics.median(per_call), "blocks_s_per_call": per_call}


def new_trainer(
    size: str, problem: data.Problem, train_x: torch.Tensor, batch: int, bf16: bool
) -> Trainer:
    """A Trainer for `size` on train_x's device, seeded like every other in this run."""
    torch.manual_seed(0)
    model = build_model(size, load_sizes(), data.seq_len(D))
    # steps only shapes the LR schedule; a huge value keeps the LR flat while timing
    return Trainer(model, problem, train_x, TrainHParams(steps=10**9, batch_size=batch, bf16=bf16))


def compile_model(model: torch.nn.Module, backend: Any, mode: str | None) -> torch.nn.Module:
    """torch.compile the model (mode applies to the inductor backend only)."""
    if backend == "inductor":
        return torch.compile(model, backend=backend, mode=mode)
    return torch.compile(model, backend=backend)


def train_figures(
    size: str,
    problem: data.Problem,
    train_x: torch.Tensor,
    batch: int,
    steps: int,
    warmup: int,
    bf16: bool,
    peak: float | None,
    compile_backend: Any = None,
    compile_mode: str | None = None,
) -> dict[str, Any]:
    """Step time, tokens/s, TFLOP/s and MFU of training `size` (compiled if a backend is given).

    A compile failure raises (the phase reports it); the eager figures are measured in their
    own phase, so they stand whatever happens here.
    """
    device = train_x.device
    tr = new_trainer(size, problem, train_x, batch, bf16)
    shape = tr.model.shape
    out: dict[str, Any] = {"size": size, "params": shape.param_count(), "batch": batch}
    if compile_backend is not None:
        tr.model = compile_model(tr.model, compile_backend, compile_mode)
        t0 = time.perf_counter()
        try:
            tr._step()  # compiles forward and backward
            sync(device)
        except Exception:
            torch._dynamo.reset()
            raise
        out["compile_s"] = time.perf_counter() - t0
    timing = time_calls(tr._step, steps, warmup, device)
    t = timing["s_per_call"]
    tokens = batch * (data.seq_len(D) - 1)
    flops = train_flops_per_step(shape, batch)
    out |= {
        "ms_per_step": 1e3 * t,
        "blocks_ms_per_step": [1e3 * s for s in timing["blocks_s_per_call"]],
        "timed_steps": steps,
        "warmup_steps": warmup,
        "tokens_per_step": tokens,
        "tokens_per_s": tokens / t,
        "flops_per_step": flops,
        "tflops_per_s": flops / t / 1e12,
        "mfu": flops / t / (peak * 1e12) if peak else None,
        "final_loss": float(tr._step()),  # one more step: a NaN here means broken numerics
    }
    return out


@torch.no_grad()
def decode_no_cache(model: DecoderLM, x: torch.Tensor) -> torch.Tensor:
    """Baseline decoding: recompute the full prefix for every generated token."""
    seq = data.prompt_tokens(x)
    on = x.device.type == "cuda"
    for j in range(x.shape[1] * tok.NUM_LEN):
        with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16, enabled=on):
            logits = model(seq)[:, -1]
        nxt = constrained_argmax(logits, j % tok.NUM_LEN == tok.SIGN_SLOT)
        seq = torch.cat([seq, nxt[:, None]], dim=1)
    return seq[:, 2 + x.shape[1] * tok.NUM_LEN :]


def rollout_figures(
    size: str, problem: data.Problem, starts: int, steps: int, warmup: int, cached: bool
) -> dict[str, Any]:
    """Rollout steps/s (decode the update, add it, re-tokenise) from `starts` start points."""
    device = problem.b.device
    torch.manual_seed(0)
    model = build_model(size, load_sizes(), data.seq_len(D)).to(device).eval()
    gen = torch.Generator(device=device).manual_seed(0)
    state = {"x": data.sample_starts(problem, starts, gen)}
    decode = predict_update_tokens if cached else decode_no_cache

    def one() -> None:
        state["x"] = state["x"] + tok.decode(decode(model, state["x"]))

    timing = time_calls(one, steps, warmup, device, blocks=min(steps, 3))
    t = timing["s_per_call"]
    return {
        "size": size,
        "starts": starts,
        "timed_steps": steps,
        "s_per_step": t,
        "steps_per_s": 1 / t,
        "iterate_updates_per_s": starts / t,
        "finite": bool(torch.isfinite(state["x"]).all()),
    }


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


def matmul_tflops(device: torch.device, n: int, calls: int) -> dict[str, Any]:
    """Achieved TFLOP/s of an n×n×n bf16 matmul: what this device really delivers."""
    g = torch.Generator(device=device).manual_seed(0)
    a = torch.randn(n, n, device=device, dtype=torch.bfloat16, generator=g)
    b = torch.randn(n, n, device=device, dtype=torch.bfloat16, generator=g)
    timing = time_calls(lambda: a @ b, calls, 3, device, blocks=3)
    return {"n": n, "tflops_per_s": 2 * n**3 / timing["s_per_call"] / 1e12}


class Run:
    """The run's figures and phase outcomes, saved to --out after every phase."""

    def __init__(self, out: Path | None, cap_s: float, device: torch.device) -> None:
        self.t0 = time.monotonic()
        self.cap_s = cap_s
        self.out = out
        self.device = device
        self.current: str | None = None
        # re-entrant: SIGTERM's handler runs on the main thread, maybe inside save()
        self.lock = threading.RLock()
        self.fig: dict[str, Any] = {"status": "running", "argv": sys.argv[1:], "phases": {}}
        self._n_saves = itertools.count()

    def left(self) -> float:
        """Seconds left before the time cap."""
        return self.cap_s - (time.monotonic() - self.t0)

    def phase(self, name: str, fn: Callable[[], Any], need_s: float = 0.0) -> Any:
        """Run one phase: its result lands in fig[name]; a failure is recorded, not raised."""
        rec: dict[str, Any] = {"started_at_s": round(time.monotonic() - self.t0, 2)}
        self.fig["phases"][name] = rec
        if self.left() < need_s:
            rec |= {"ok": False, "skipped": f"{self.left():.0f} s left, needs {need_s:.0f} s"}
            say(f"\n[{name}] SKIPPED: {rec['skipped']} (raise --time-cap)")
            self.save()
            return None
        say(f"\n[{name}]")
        self.current = name
        self._cuda(lambda: torch.cuda.reset_peak_memory_stats(self.device))
        t0 = time.perf_counter()
        result = None
        try:
            result = fn()
            rec["ok"] = True
            if result is not None:
                self.fig[name] = result
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [""])[0][:300]
            rec |= {
                "ok": False,
                "error": f"{type(exc).__name__}: {first}",
                "traceback_tail": traceback.format_exc().strip().splitlines()[-8:],
            }
            say(f"  FAILED: {rec['error']}")
            self._cuda(torch.cuda.empty_cache)  # an OOM must not starve the next phase
        rec["seconds"] = round(time.perf_counter() - t0, 3)
        peak = self._cuda(lambda: torch.cuda.max_memory_allocated(self.device))
        mem = ""
        if peak is not None:
            rec["peak_mem_gib"] = round(peak / 2**30, 3)
            mem = f", peak memory {rec['peak_mem_gib']:.2f} GiB"
        say(f"  ({name}: {rec['seconds']:.1f} s{mem}; {self.left():.0f} s left of the cap)")
        self.current = None
        self.save()
        return result

    def _cuda(self, fn: Callable[[], Any]) -> Any:
        """fn() on a CUDA run, None elsewhere or when CUDA itself is broken (after a fault)."""
        if self.device.type != "cuda":
            return None
        try:
            return fn()
        except Exception:
            return None

    def save(self) -> None:
        """Write the figures to --out atomically (a unique temp file, then rename)."""
        if self.out is None:
            return
        with self.lock:
            self.fig["elapsed_s"] = round(time.monotonic() - self.t0, 2)
            self.out.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.out.with_name(f".{self.out.name}.{os.getpid()}.{next(self._n_saves)}.tmp")
            tmp.write_text(json.dumps(self.fig, indent=2, default=str) + "\n")
            os.replace(tmp, self.out)

    def stop(self, why: str) -> None:
        """End the run now (time cap or SIGTERM): mark it, print the summary, save, exit 2."""
        # whatever goes wrong here (a print re-entered from a signal handler, figures changing
        # under the main thread), the process must still end: os._exit in finally
        try:
            with self.lock:
                self.fig["status"] = "timed_out"
                self.fig["stopped"] = f"{why} during phase {self.current!r}"
                self.save()  # the JSON first: it is what comes back from the device
                say(f"\n!!! {self.fig['stopped']}: ending the run")
                finish(self)
        except BaseException:
            pass
        finally:
            try:
                sys.stdout.flush()
            finally:
                os._exit(WATCHDOG_EXIT)


def summarise(fig: dict[str, Any]) -> list[str]:
    """The final summary block's lines, from the figures alone."""
    env = fig.get("env", {})
    lines = [
        f"device: {env.get('device_name', '?')}; torch {env.get('torch', '?')}; "
        f"peak {env.get('peak_tflops') or 'n/a'} TFLOPS bf16 dense ({env.get('peak_source', '?')})",
        f"compile: {fig.get('compile', {}).get('summary', 'not attempted')}",
    ]
    for key, label in (
        ("train_bf16", "train eager  "),
        ("train_compiled", "train compile"),
        ("train_fp32", "train fp32   "),
    ):
        r = fig.get(key)
        if r:
            mfu = f"MFU {100 * r['mfu']:.1f}%" if r.get("mfu") is not None else "MFU n/a"
            lines.append(
                f"{label} {r['size']} batch {r['batch']}: {r['ms_per_step']:.2f} ms/step, "
                f"{r['tokens_per_s']:,.0f} tokens/s, {r['tflops_per_s']:.1f} TFLOP/s, {mfu}"
            )
    if fig.get("matmul_peak"):
        lines.append(f"bf16 matmul measured: {fig['matmul_peak']['tflops_per_s']:.1f} TFLOP/s")
    for key, label in (("rollout_cached", "KV cache"), ("rollout_nocache", "no cache")):
        r = fig.get(key)
        if r:
            lines.append(
                f"rollout {label}: {r['steps_per_s']:.2f} steps/s at {r['starts']} starts "
                f"({r['iterate_updates_per_s']:,.0f} iterate updates/s)"
            )
    ratios = [
        f"{label} {fig[key]:.2f}x"
        for key, label in (
            ("speedup_bf16_vs_fp32", "bf16/fp32"),
            ("speedup_compiled_vs_eager", "compiled/eager"),
            ("speedup_cache_vs_nocache", "KV cache/no cache"),
        )
        if key in fig
    ]
    if ratios:
        lines.append("speed-ups: " + ", ".join(ratios))
    mem = [r["peak_mem_gib"] for r in fig.get("phases", {}).values() if "peak_mem_gib" in r]
    if mem:
        lines.append(f"peak GPU memory of any phase: {max(mem):.2f} GiB")
    sw = fig.get("sweep")
    if sw:
        done = "" if sw["complete"] else f" (INCOMPLETE: {len(sw['sizes'])} sizes measured)"
        lines.append(
            f"sweep estimate: {sw['total_gpu_hours']:.2f} GPU-hours "
            f"(train {sw['train_gpu_hours']:.2f} + rollout {sw['rollout_gpu_hours']:.2f}){done}"
        )
    t = fig.get("targets", {})
    for key, label in (("mfu", "MFU >= 35%"), ("sweep", "sweep < 2 GPU-hours")):
        met = t.get(f"{key}_met")
        verdict = "n/a" if met is None else ("MET" if met else "NOT met")
        lines.append(f"target {label}: {verdict} ({t.get(f'{key}_basis', 'not measured')})")
    ph = fig.get("phases", {})
    failed = [n for n, r in ph.items() if not r.get("ok") and "skipped" not in r]
    skipped = [n for n, r in ph.items() if "skipped" in r]
    lines.append(
        f"phases ok: {[n for n, r in ph.items() if r.get('ok')]}; failed: {failed}; "
        f"skipped: {skipped}"
    )
    return lines


def judge(fig: dict[str, Any], smoke: bool) -> dict[str, Any]:
    """Target verdicts (None where unmeasured or not on a GPU run)."""
    out: dict[str, Any] = {"mfu_target": TARGET_MFU, "sweep_target_h": TARGET_SWEEP_H}
    best = [
        (fig[k]["mfu"], k) for k in ("train_bf16", "train_compiled") if fig.get(k, {}).get("mfu")
    ]
    if best and not smoke:
        mfu, key = max(best)
        out |= {
            "mfu_best": mfu,
            "mfu_met": mfu >= TARGET_MFU,
            "mfu_basis": f"best {100 * mfu:.1f}% from {key}",
        }
    sw = fig.get("sweep")
    if sw and sw["complete"] and not smoke:
        out |= {
            "sweep_h": sw["total_gpu_hours"],
            "sweep_met": sw["total_gpu_hours"] < TARGET_SWEEP_H,
            "sweep_basis": f"{sw['total_gpu_hours']:.2f} h, eager bf16 step times",
        }
    return out


def finish(run: Run) -> None:
    """Fill in the verdicts and status, print the summary block and save."""
    fig = run.fig
    fig["targets"] = judge(fig, bool(fig.get("smoke")))
    if fig["status"] == "running":
        bad = any(not r.get("ok") for r in fig["phases"].values())
        fig["status"] = "partial" if bad else "ok"
    where = f" (also in {run.out})" if run.out else ""
    say(f"\n===== summary{where} =====")
    for line in [f"status: {fig['status']}", *summarise(fig)]:
        say(f"  {line}")
    run.save()


def env_figures(device: torch.device, args: argparse.Namespace) -> dict[str, Any]:
    """Device, versions, the peak used for MFU, and what torch.compile would need."""
    env: dict[str, Any] = {
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "device": str(device),
        "triton": importlib.util.find_spec("triton") is not None,
        "c_compiler": shutil.which("cc") or shutil.which("gcc"),
    }
    if device.type == "cuda":
        p = torch.cuda.get_device_properties(device)
        env |= {
            "device_name": p.name,
            "sm_count": p.multi_processor_count,
            "memory_gib": round(p.total_memory / 2**30, 1),
            "cuda": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version(),
            # the fp32 baseline is true fp32 unless TF32 matmuls are on
            "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
        }
    else:
        env["device_name"] = "cpu"
    if args.peak_tflops is not None:
        env["peak_tflops"], env["peak_source"] = args.peak_tflops, "--peak-tflops"
    elif device.type == "cuda":
        env["peak_tflops"], env["peak_source"] = peak_tflops(env["device_name"])
    else:
        env["peak_tflops"], env["peak_source"] = None, "no peak for CPUs"
    return env


def compile_plan(args: argparse.Namespace, device: torch.device, env: dict[str, Any]) -> str:
    """Why compile will or will not be tried; empty when it will."""
    if args.compile == "off":
        return "off (--compile off)"
    if args.compile == "auto" and device.type != "cuda":
        return "off (auto: CUDA only)"
    if args.compile_backend == "inductor" and not env["triton"] and device.type == "cuda":
        return "off (triton is not importable: inductor cannot generate CUDA kernels)"
    if args.compile_backend == "inductor" and not env["c_compiler"]:
        return "off (no C compiler on PATH: inductor/triton need one)"
    return ""


def sweep_figures(
    run: Run,
    problem: data.Problem,
    train_x: torch.Tensor,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Per-size eager bf16 train and rollout times scaled to the paper-scale sweep."""
    scale_b, scale_n = PAPER_BATCH / args.batch, PAPER_STARTS / args.starts
    sizes: dict[str, Any] = {}
    res: dict[str, Any] = {
        "paper": {
            "steps": PAPER_STEPS,
            "batch": PAPER_BATCH,
            "starts": PAPER_STARTS,
            "rollout_steps": PAPER_ROLLOUT,
        },
        "measured_at": {"batch": args.batch, "starts": args.starts},
        # small batches under-use a GPU, so linear scaling from them is an upper bound
        "scaled_linearly": scale_b != 1 or scale_n != 1,
        "sizes": sizes,
        "complete": False,
        "train_gpu_hours": 0.0,
        "rollout_gpu_hours": 0.0,
        "total_gpu_hours": 0.0,
    }
    run.fig["sweep"] = res
    say(
        f"  {len(PAPER_SIZES)} sizes x {PAPER_STEPS:,} steps x batch {PAPER_BATCH}, then "
        f"{PAPER_STARTS} starts x {PAPER_ROLLOUT} rollout steps (eager bf16)"
    )
    for s in PAPER_SIZES:
        if run.left() < args.sweep_size_need_s:
            say(f"  {s}: not measured, {run.left():.0f} s left")
            break
        try:
            peak = run.fig.get("env", {}).get("peak_tflops")
            sizes[s] = _sweep_size(s, problem, train_x, args, peak)
        except Exception as exc:
            # one size failing (say, out of memory) must not cost the others
            res.setdefault("errors", {})[s] = f"{type(exc).__name__}: {exc}"[:300]
            say(f"  {s}: FAILED {res['errors'][s]}")
            continue
        r = sizes[s]
        say(
            f"  {s:5s} train {r['train_ms_per_step']:8.2f} ms/step -> "
            f"{r['train_gpu_hours']:7.3f} h   rollout {r['rollout_s_per_step'] * 1e3:8.2f} "
            f"ms/step -> {r['rollout_gpu_hours']:6.3f} h"
        )
        # totals so far after every size: a stop mid-sweep still has them
        res["train_gpu_hours"] = sum(v["train_gpu_hours"] for v in sizes.values())
        res["rollout_gpu_hours"] = sum(v["rollout_gpu_hours"] for v in sizes.values())
        res["total_gpu_hours"] = res["train_gpu_hours"] + res["rollout_gpu_hours"]
        res["complete"] = list(sizes) == PAPER_SIZES
        run.save()
    say(f"  total: {res['total_gpu_hours']:.2f} GPU-hours on this device")
    if res.get("errors"):
        raise RuntimeError(f"sweep sizes failed: {sorted(res['errors'])}")
    return res


def _sweep_size(
    s: str, problem: data.Problem, train_x: torch.Tensor, args: argparse.Namespace, peak: Any
) -> dict[str, Any]:
    """One size's train and rollout times, scaled to the paper's steps, batch and starts."""
    tr = train_figures(
        s, problem, train_x, args.batch, args.sweep_train_steps, args.warmup, True, peak
    )
    ro = rollout_figures(s, problem, args.starts, args.sweep_rollout_steps, 1, cached=True)
    scale_b, scale_n = PAPER_BATCH / args.batch, PAPER_STARTS / args.starts
    return {
        "params": tr["params"],
        "train_ms_per_step": tr["ms_per_step"],
        "train_mfu": tr["mfu"],
        "rollout_s_per_step": ro["s_per_step"],
        "train_gpu_hours": tr["ms_per_step"] / 1e3 * scale_b * PAPER_STEPS / 3600,
        "rollout_gpu_hours": ro["s_per_step"] * scale_n * PAPER_ROLLOUT / 3600,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options; --smoke shrinks every count for a seconds-long CPU check."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--smoke", action="store_true", help="tiny batches and step counts (CPU check)")
    ap.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    ap.add_argument("--size", default="5m", help="size for the headline figures (default: largest)")
    ap.add_argument("--train-steps", type=int, default=50, help="timed optimizer steps")
    ap.add_argument("--warmup", type=int, default=5, help="untimed calls before each timing")
    ap.add_argument("--batch", type=int, default=PAPER_BATCH)
    ap.add_argument("--starts", type=int, default=PAPER_STARTS)
    ap.add_argument("--rollout-steps", type=int, default=10, help="timed rollout steps")
    ap.add_argument("--sweep-train-steps", type=int, default=10)
    ap.add_argument("--sweep-rollout-steps", type=int, default=2)
    ap.add_argument("--no-sweep", action="store_true", help="skip the per-size sweep estimate")
    ap.add_argument("--peak-tflops", type=float, default=None, help="override the peak for MFU")
    ap.add_argument("--compile", choices=["auto", "on", "off"], default="auto")
    ap.add_argument("--compile-backend", default="inductor")
    ap.add_argument("--compile-mode", default=None, help="inductor mode, e.g. max-autotune")
    ap.add_argument(
        "--time-cap", type=float, default=300.0, help="seconds for the whole run (watchdog)"
    )
    ap.add_argument("--compile-need-s", type=float, default=120.0)
    ap.add_argument("--sweep-size-need-s", type=float, default=10.0)
    args = ap.parse_args(argv)
    if args.smoke:
        args.train_steps, args.batch, args.starts, args.rollout_steps = 2, 16, 32, 1
        args.warmup, args.sweep_train_steps, args.sweep_rollout_steps = 1, 1, 1
        args.compile_need_s = args.sweep_size_need_s = 0.0
    return args


def main(argv: list[str] | None = None) -> int:
    """Measure, print, save; returns the exit status."""
    args = parse_args(argv)
    device = torch.device(args.device)
    run = Run(args.out, args.time_cap, device)
    run.fig["smoke"] = args.smoke
    watchdog = threading.Timer(args.time_cap, run.stop, args=("time cap reached",))
    watchdog.daemon = True
    watchdog.start()
    # signal handlers can only be set from the main thread (not so when a test calls main)
    on_main = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGTERM, lambda *_: run.stop("SIGTERM")) if on_main else None
    try:
        return _measure(run, args, device)
    finally:
        watchdog.cancel()
        if on_main and old is not None:
            signal.signal(signal.SIGTERM, old)


def _measure(run: Run, args: argparse.Namespace, device: torch.device) -> int:
    """The phases in order (compile last: it is the one that may eat the cap)."""
    fig = run.fig
    if device.type == "cuda" and not torch.cuda.is_available():
        fig["status"] = "failed"
        fig["error"] = "no GPU visible to torch (pass --device cpu --smoke for a CPU check)"
        say(fig["error"])
        finish(run)
        return 1
    if device.type == "cpu":
        # on a shared CPU two threads thrash; a real CPU run keeps torch's default
        torch.set_num_threads(1 if args.smoke else torch.get_num_threads())
    env = run.phase("env", lambda: env_figures(device, args)) or {"triton": False}
    say(
        f"  device: {env.get('device_name')}; torch {env.get('torch')}; "
        f"python {env.get('python')}; peak {env.get('peak_tflops')} TFLOPS "
        f"({env.get('peak_source')})"
    )
    why_not = compile_plan(args, device, {"c_compiler": None, **env})
    fig["compile"] = {"requested": args.compile, "used": False, "summary": why_not or "pending"}
    say(f"  torch.compile: {why_not or 'will be tried last (' + args.compile_backend + ')'}")
    peak = env.get("peak_tflops")

    ok = run.phase("tokenizer", lambda: {"round_trip_identical_to_cpu": check_tokenizer(device)})
    if ok:
        same = ok["round_trip_identical_to_cpu"]
        say(f"  tokenizer round trip on {device.type} identical to cpu: {same}")

    held: dict[str, Any] = {}

    def make_data() -> dict[str, Any]:
        problem = data.make_problem(d=D, seed=0, start_offset=1.0, start_radius=0.25)
        n_traj, t_traj = (64, 64) if args.smoke else (2048, 512)
        x = data.generate_iterates(problem, n_traj, t_traj, seed=1, device=device)
        sync(device)
        held.update(problem=problem.to(device), train_x=x)
        return {"train_iterates": x.shape[0], "trajectories": n_traj, "steps": t_traj}

    run.phase("data", make_data)
    problem, train_x = held.get("problem"), held.get("train_x")

    def need_data() -> None:
        if problem is None or train_x is None:
            raise RuntimeError("no training data (the data phase failed)")

    run.phase(
        "matmul_peak",
        lambda: matmul_tflops(device, 256 if args.smoke else 8192, 3 if args.smoke else 20),
    )
    if fig.get("matmul_peak"):
        say(f"  bf16 matmul: {fig['matmul_peak']['tflops_per_s']:.1f} TFLOP/s")

    def train(bf16: bool, backend: Any = None) -> dict[str, Any]:
        need_data()
        assert problem is not None and train_x is not None
        r = train_figures(
            args.size,
            problem,
            train_x,
            args.batch,
            args.train_steps,
            args.warmup,
            bf16,
            peak,
            backend,
            args.compile_mode,
        )
        mm = fig.get("matmul_peak", {}).get("tflops_per_s")
        r["mfu_vs_measured_matmul"] = r["tflops_per_s"] / mm if mm else None
        mfu = f"MFU {100 * r['mfu']:.2f}%" if r["mfu"] is not None else "MFU n/a"
        extra = f", compiled in {r['compile_s']:.1f} s" if "compile_s" in r else ""
        say(
            f"  size {r['size']} ({r['params']:,} params), batch {r['batch']}, "
            f"{r['timed_steps']} timed steps{extra}: {r['ms_per_step']:.2f} ms/step, "
            f"{r['tokens_per_s']:,.0f} tokens/s, {r['tflops_per_s']:.2f} TFLOP/s, {mfu}, "
            f"loss {r['final_loss']:.3f}"
        )
        return r

    run.phase("train_bf16", lambda: train(bf16=True))
    if device.type != "cuda":
        say("  (autocast is CUDA-only: on CPU this phase runs fp32)")
    run.phase("train_fp32", lambda: train(bf16=False))
    if fig.get("train_bf16") and fig.get("train_fp32") and device.type == "cuda":
        ratio = fig["train_fp32"]["ms_per_step"] / fig["train_bf16"]["ms_per_step"]
        fig["speedup_bf16_vs_fp32"] = ratio
        say(f"  speed-up bf16 eager / fp32 eager: {ratio:.2f}x")

    def roll(cached: bool) -> dict[str, Any]:
        need_data()
        assert problem is not None
        r = rollout_figures(
            args.size, problem, args.starts, args.rollout_steps, min(1, args.warmup), cached
        )
        say(
            f"  size {r['size']}, {r['starts']} starts, {r['timed_steps']} timed steps: "
            f"{r['steps_per_s']:.2f} steps/s ({r['iterate_updates_per_s']:,.0f} iterate updates/s)"
        )
        return r

    run.phase("rollout_cached", lambda: roll(cached=True))
    run.phase("rollout_nocache", lambda: roll(cached=False))
    if fig.get("rollout_cached") and fig.get("rollout_nocache"):
        ratio = fig["rollout_nocache"]["s_per_step"] / fig["rollout_cached"]["s_per_step"]
        fig["speedup_cache_vs_nocache"] = ratio
        say(f"  speed-up KV cache / no cache: {ratio:.2f}x")

    if not args.no_sweep:

        def sweep() -> dict[str, Any]:
            need_data()
            assert problem is not None and train_x is not None
            return sweep_figures(run, problem, train_x, args)

        run.phase("sweep", sweep)

    if not why_not:
        backend = args.compile_backend

        def compiled() -> dict[str, Any]:
            try:
                return train(bf16=True, backend=backend)
            except Exception as exc:
                fig["compile"] |= {
                    "used": False,
                    "summary": f"FAILED ({type(exc).__name__}); headline figures are eager",
                }
                raise

        r = run.phase("train_compiled", compiled, need_s=args.compile_need_s)
        if r:
            fig["compile"] |= {
                "used": True,
                "backend": backend,
                "mode": args.compile_mode,
                "compile_s": r["compile_s"],
                "summary": f"used ({backend}, compiled in {r['compile_s']:.1f} s)",
            }
            if fig.get("train_bf16"):
                speed = fig["train_bf16"]["ms_per_step"] / r["ms_per_step"]
                fig["speedup_compiled_vs_eager"] = speed
                say(f"  speed-up compiled / eager (bf16): {speed:.2f}x")
        elif fig["phases"]["train_compiled"].get("skipped"):
            fig["compile"]["summary"] = "skipped: too little time left"
    else:
        fig["compile"]["summary"] = why_not
    finish(run)
    return 0 if fig["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
