"""mc samples through the Ray executor (workers rebuild the task from its spec and run
arun_sample on a loop of their own) give the same rows as the local executor."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ray, pytest.mark.slow]
TESTS_DIR = Path(__file__).resolve().parent.parent


def test_ray_matches_local(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs unshare and root to keep Ray on a private loopback")
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join([str(TESTS_DIR.parent), env.get("PYTHONPATH", "")]),
        RAY_USAGE_STATS_ENABLED="0",
        RAY_AUTH_MODE="disabled",
    )
    cmd = f"{sys.executable} -m tests.mc.ray_driver {tmp_path}"
    proc = subprocess.run(
        ["unshare", "--net", "sh", "-c", f"ip link set lo up; exec {cmd}"],
        env=env,
        cwd=TESTS_DIR.parent,
        capture_output=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    res = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    assert len(res["local"]) == 16
    assert res["ray"] == res["local"]  # same keys, outcomes (mapped answers) and lengths
    assert res["ray_summary"]["done"] == 16 and res["calls"] == 32
