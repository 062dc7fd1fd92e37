"""bench/synth_gpu.py: its figures' formulas, its robustness, and its CPU smoke run (torch only)."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest
import torch

from agentbench.tasks.synthetic import data
from agentbench.tasks.synthetic import tokenizer as tok
from agentbench.tasks.synthetic.model import DecoderLM, ModelShape, build_model
from agentbench.tasks.synthetic.rollout import constrained_argmax
from agentbench.tasks.synthetic.sizes import load_sizes
from agentbench.tasks.synthetic.train import update_loss

ROOT = Path(__file__).resolve().parents[2]
# torch, numpy and what torch itself imports; nothing of agentbench's own dependencies
ALLOWED = {
    "torch", "torchgen", "functorch", "numpy", "numpy.libs", "filelock", "typing_extensions",
    "sympy", "mpmath", "networkx", "jinja2", "markupsafe", "fsspec", "isympy",
}  # fmt: skip


def _torch_only_site(dest: Path) -> Path:
    """A site folder holding links to the allowed packages only, as on the GPU machine."""
    site = Path(torch.__file__).resolve().parents[1]
    dest.mkdir()
    for entry in site.iterdir():
        stem = entry.name.split("-")[0].removesuffix(".py").lower()
        if stem in ALLOWED or entry.name.removesuffix(".py") in ALLOWED:
            os.symlink(entry, dest / entry.name)
    return dest


@pytest.mark.slow
def test_gpu_bench_smoke_runs_on_cpu_with_torch_only(tmp_path: Path) -> None:
    site = _torch_only_site(tmp_path / "site")
    out = tmp_path / "res" / "synth_gpu.json"
    code = (
        "import sys; sys.path[:0] = [sys.argv[1]]; "
        "import runpy; sys.argv = [sys.argv[2], '--device', 'cpu', '--smoke', '--out', sys.argv[3]]; "
        "runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    script = str(ROOT / "bench" / "synth_gpu.py")
    res = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, str(site), script, str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"},
    )
    assert res.returncode == 0, res.stderr
    stdout = res.stdout
    assert "tokenizer round trip on cpu identical to cpu: True" in stdout
    assert "size 5m (4,755,456 params)" in stdout  # the largest size of the table
    assert "===== summary" in stdout and "status: ok" in stdout
    for size in ("50k", "100k", "200k", "500k", "1m", "2m", "5m"):
        assert f"  {size} " in stdout
    saved = json.loads(out.read_text())
    assert saved["status"] == "ok" and saved["smoke"] is True
    assert all(r["ok"] for r in saved["phases"].values())
    assert saved["env"]["device_name"] == "cpu" and saved["env"]["torch"] == torch.__version__
    assert saved["compile"] == {
        "requested": "auto",
        "used": False,
        "summary": "off (auto: CUDA only)",
    }
    for key in ("train_bf16", "train_fp32"):
        r = saved[key]
        assert r["size"] == "5m" and r["params"] == 4_755_456 and r["tokens_per_step"] == 16 * 49
        assert r["tokens_per_s"] == pytest.approx(r["tokens_per_step"] / (r["ms_per_step"] / 1e3))
        assert r["mfu"] is None and math.isfinite(r["final_loss"])
    assert saved["rollout_cached"]["starts"] == 32 and saved["rollout_cached"]["finite"]
    sw = saved["sweep"]
    assert sw["complete"] and list(sw["sizes"]) == ["50k", "100k", "200k", "500k", "1m", "2m", "5m"]
    assert sw["total_gpu_hours"] == pytest.approx(sw["train_gpu_hours"] + sw["rollout_gpu_hours"])
    assert saved["targets"].get("mfu_met") is None  # no verdicts from a CPU smoke run


def test_bench_environment_really_lacks_the_package_dependencies(tmp_path: Path) -> None:
    site = _torch_only_site(tmp_path / "site")
    res = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            "import sys; sys.path[:0] = [sys.argv[1]]; import pydantic",
            str(site),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode != 0 and "No module named 'pydantic'" in res.stderr


# ---- the benchmark's parts, in-process (fast) ----


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """bench/synth_gpu.py imported as a module (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("synth_gpu", ROOT / "bench" / "synth_gpu.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_flop_formula_equals_torch_flop_counter_on_a_train_step(bench: ModuleType) -> None:
    # hand count: 6·(12·L·d² + V·d) + 12·L·d·T per token; torch's counter sees every matmul
    # of forward + backward when attention runs as plain matmuls (the math backend)
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    torch.manual_seed(0)
    shape = ModelShape(d_model=16, n_layer=2, n_head=2, max_len=data.seq_len(4))
    model = DecoderLM(shape)
    p = data.make_problem(seed=0)
    seqs = data.make_sequences(p, data.sample_starts(p, 3, torch.Generator().manual_seed(0)))
    with FlopCounterMode(display=False) as fc, sdpa_kernel(SDPBackend.MATH):
        update_loss(model, seqs, 4).backward()
    t = seqs.shape[1] - 1
    assert t == 49
    assert fc.get_total_flops() == bench.train_flops_per_step(shape, 3)
    d, L, V = 16, 2, 14
    assert bench.train_flops_per_step(shape, 3) == 3 * t * (
        6 * (12 * L * d * d + V * d) + 12 * L * d * t
    )


def test_peak_is_read_off_the_device_name(bench: ModuleType) -> None:
    assert bench.peak_tflops("NVIDIA H100 80GB HBM3")[0] == 989.0
    assert bench.peak_tflops("NVIDIA H200")[0] == 989.0
    assert bench.peak_tflops("NVIDIA H100 PCIe")[0] == 756.0
    assert bench.peak_tflops("NVIDIA H100 NVL")[0] == 835.0
    assert bench.peak_tflops("NVIDIA A100-SXM4-80GB")[0] == 312.0
    assert bench.peak_tflops("Some Future GPU") == (None, "unknown device: pass --peak-tflops")


def test_time_calls_warms_up_untimed_then_times_every_call(bench: ModuleType) -> None:
    n = [0]

    def fn() -> None:
        n[0] += 1

    r = bench.time_calls(fn, calls=7, warmup=2, device=torch.device("cpu"), blocks=3)
    assert n[0] == 9
    assert len(r["blocks_s_per_call"]) == 3
    assert r["s_per_call"] == sorted(r["blocks_s_per_call"])[1]


def test_a_failing_phase_is_recorded_and_the_next_one_runs(
    bench: ModuleType, tmp_path: Path
) -> None:
    out = tmp_path / "sub" / "figs.json"
    run = bench.Run(out, cap_s=600, device=torch.device("cpu"))

    def boom() -> None:
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")

    assert run.phase("first", boom) is None
    assert run.phase("second", lambda: {"x": 1.5}) == {"x": 1.5}
    assert run.phase("third", lambda: {"x": 2}, need_s=10_000) is None
    bench.finish(run)
    saved = json.loads(out.read_text())
    assert saved["status"] == "partial"
    assert saved["phases"]["first"]["ok"] is False
    assert saved["phases"]["first"]["error"].startswith("OutOfMemoryError: CUDA out of memory")
    assert saved["phases"]["second"]["ok"] is True and saved["second"] == {"x": 1.5}
    assert "needs 10000 s" in saved["phases"]["third"]["skipped"]
    assert "third" not in saved
    assert [p.name for p in out.parent.iterdir()] == ["figs.json"]  # no temp file left


def test_compile_failure_at_first_call_raises_and_leaves_dynamo_clean(bench: ModuleType) -> None:
    def broken_backend(gm: torch.fx.GraphModule, example_inputs: list[torch.Tensor]) -> None:
        raise RuntimeError("no triton here")

    p = data.make_problem(seed=0)
    x = data.generate_iterates(p, 4, 8, seed=1)
    with pytest.raises(Exception, match="no triton here"):
        bench.train_figures("tiny", p, x, 8, 1, 0, True, None, compile_backend=broken_backend)
    # the next compile starts from scratch and works
    r = bench.train_figures("tiny", p, x, 8, 2, 1, True, 989.0, compile_backend="eager")
    assert r["compile_s"] > 0 and r["tokens_per_s"] > 0 and math.isfinite(r["final_loss"])
    assert r["mfu"] == pytest.approx(r["tflops_per_s"] / 989.0)


def test_main_reports_a_compile_failure_and_keeps_the_eager_figures(
    bench: ModuleType, tmp_path: Path
) -> None:
    out = tmp_path / "figs.json"
    argv = ["--device", "cpu", "--smoke", "--no-sweep", "--size", "tiny", "--out", str(out)]
    rc = bench.main([*argv, "--compile", "on", "--compile-backend", "no_such_backend"])
    saved = json.loads(out.read_text())
    assert rc == 1 and saved["status"] == "partial"
    assert saved["compile"]["used"] is False
    assert saved["compile"]["summary"].startswith("FAILED")
    assert saved["phases"]["train_compiled"]["ok"] is False
    ok = [n for n, r in saved["phases"].items() if r["ok"]]
    assert ok == ["env", "tokenizer", "data", "matmul_peak", "train_bf16", "train_fp32",
                  "rollout_cached", "rollout_nocache"]  # fmt: skip
    assert saved["train_bf16"]["tokens_per_s"] > 0


def test_bf16_autocast_train_step_runs_on_cpu() -> None:
    # the CUDA path trains under bf16 autocast; CPU autocast exercises the same dtype flow
    torch.manual_seed(0)
    model = build_model("tiny", load_sizes(), data.seq_len(4))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    p = data.make_problem(seed=0)
    seqs = data.make_sequences(p, data.sample_starts(p, 16, torch.Generator().manual_seed(0)))
    before = model.tok.weight.detach().clone()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert model(seqs[:, :-1]).dtype == torch.bfloat16
        loss = update_loss(model, seqs, 4)
    assert loss.dtype == torch.float32 and math.isfinite(loss.item())
    loss.backward()
    assert all(q.grad is not None and q.grad.dtype == torch.float32 for q in model.parameters())
    assert all(bool(torch.isfinite(q.grad).all()) for q in model.parameters() if q.grad is not None)
    opt.step()
    assert not torch.equal(model.tok.weight, before)


def test_bf16_cached_decode_follows_the_full_forward_on_cpu() -> None:
    # KV-cache concatenation and single-token attention in bf16, as the CUDA rollout runs them
    torch.manual_seed(0)
    model = build_model("5k", load_sizes(), data.seq_len(4)).eval()
    seq = torch.randint(0, 14, (5, 50))
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        full = model(seq)
        cache = model.new_cache()
        parts = [model(seq[:, :26], cache, start=0)]
        parts += [model(seq[:, t : t + 1], cache, start=t) for t in range(26, 50)]
    assert cache[0][0].dtype == torch.bfloat16 and cache[0][0].shape[2] == 50
    assert torch.allclose(torch.cat(parts, dim=1).float(), full.float(), atol=0.05)
    signs = constrained_argmax(full[:, -1], sign_slot=True)
    digits = constrained_argmax(full[:, -1], sign_slot=False)
    assert set(signs.tolist()) <= {tok.PLUS, tok.MINUS} and int(digits.max()) <= 9


def test_power_table_is_built_once_per_device_and_is_a_plain_tensor() -> None:
    tok._POW10_TABLES.clear()
    x = torch.tensor([[1.234e-2, -5.0, 0.0, 7e-13]], dtype=torch.float64)
    with torch.inference_mode():
        t = tok.encode(x)
    table = tok._POW10_TABLES[torch.device("cpu")]
    assert not table.is_inference()  # usable later outside inference mode
    assert torch.equal(tok.encode(tok.decode(t)), t)
    assert tok._POW10_TABLES[torch.device("cpu")] is table and len(tok._POW10_TABLES) == 1


# ---- the script as the device runs it (subprocesses) ----


def _script(*args: str, tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "synth_gpu.py"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )


def test_time_cap_ends_the_run_with_a_summary_and_valid_json(tmp_path: Path) -> None:
    out = tmp_path / "figs.json"
    proc = _script(
        "--device", "cpu", "--smoke", "--time-cap", "1", "--out", str(out), tmp_path=tmp_path
    )
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2, stderr
    saved = json.loads(out.read_text())
    assert saved["status"] == "timed_out" and saved["stopped"].startswith("time cap reached")
    assert "===== summary" in stdout and "status: timed_out" in stdout


def test_sigterm_ends_the_run_with_a_summary_and_valid_json(tmp_path: Path) -> None:
    out = tmp_path / "figs.json"
    proc = _script("--device", "cpu", "--smoke", "--out", str(out), tmp_path=tmp_path)
    deadline = time.monotonic() + 60
    while not out.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # the first save comes after the env phase
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2, stderr
    saved = json.loads(out.read_text())
    assert saved["status"] == "timed_out" and saved["stopped"].startswith("SIGTERM")
    assert saved["phases"]["env"]["ok"] is True
    assert "status: timed_out" in stdout


def test_missing_gpu_is_reported_in_the_json(tmp_path: Path) -> None:
    if torch.cuda.is_available():
        pytest.skip("a GPU is visible")
    out = tmp_path / "figs.json"
    proc = _script("--device", "cuda", "--out", str(out), tmp_path=tmp_path)
    proc.communicate(timeout=120)
    assert proc.returncode == 1
    saved = json.loads(out.read_text())
    assert saved["status"] == "failed" and "no GPU visible" in saved["error"]


def test_verdicts_and_summary_from_gpu_shaped_figures(bench: ModuleType) -> None:
    train = {"size": "5m", "batch": 1024, "ms_per_step": 4.0, "tokens_per_s": 1.25e7}
    fig = {
        "smoke": False,
        "phases": {"train_bf16": {"ok": True, "peak_mem_gib": 3.5}, "sweep": {"ok": False}},
        "train_bf16": {**train, "tflops_per_s": 300.0, "mfu": 0.30},
        "train_compiled": {**train, "tflops_per_s": 400.0, "mfu": 0.40},
        # a run stopped mid-sweep: totals so far, not complete
        "sweep": {"complete": False, "sizes": {"50k": {}}, "total_gpu_hours": 0.1,
                  "train_gpu_hours": 0.08, "rollout_gpu_hours": 0.02},
    }  # fmt: skip
    t = bench.judge(fig, smoke=False)
    assert t["mfu_met"] is True and t["mfu_best"] == 0.40 and "train_compiled" in t["mfu_basis"]
    assert "sweep_met" not in t  # an incomplete sweep gives no verdict
    fig["targets"] = t
    text = "\n".join(bench.summarise(fig))
    assert "INCOMPLETE: 1 sizes measured" in text and "target MFU >= 35%: MET" in text
    assert (
        "target sweep < 2 GPU-hours: n/a" in text and "peak GPU memory of any phase: 3.50" in text
    )
    fig["sweep"] |= {"complete": True, "total_gpu_hours": 2.5}
    assert bench.judge(fig, smoke=False)["sweep_met"] is False
    assert bench.judge(fig, smoke=True) == {"mfu_target": 0.35, "sweep_target_h": 2.0}
