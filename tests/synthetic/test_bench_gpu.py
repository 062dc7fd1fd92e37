"""bench/synth_gpu.py runs its CPU smoke mode with only torch + numpy importable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

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
    code = (
        "import sys; sys.path[:0] = [sys.argv[1]]; "
        "import runpy; sys.argv = [sys.argv[2], '--device', 'cpu', '--smoke']; "
        "runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    res = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, str(site), str(ROOT / "bench" / "synth_gpu.py")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"},
    )
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "tokenizer round trip on cpu identical to cpu: True" in out
    assert "size 5m (4,755,456 params)" in out  # the largest size of the table
    assert out.count("tokens/s") == 2 and "KV cache" in out and "steps/s" in out
    for size in ("50k", "100k", "200k", "500k", "1m", "2m", "5m"):
        assert f"  {size} " in out
    assert "total:" in out


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
