"""The Ray executor on a local cluster (loopback only, in a private network namespace) gives the
same sample keys and outcomes as the local executor, against the scripted model server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import TESTS_DIR

pytestmark = [pytest.mark.ray, pytest.mark.slow]


def test_ray_matches_local(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    pytest.importorskip("agentbench.servers.scripted")
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs unshare and root to keep Ray on a private loopback")
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join([str(TESTS_DIR), env.get("PYTHONPATH", "")]),
        RAY_USAGE_STATS_ENABLED="0",
        RAY_AUTH_MODE="disabled",
    )
    cmd = f"{sys.executable} -m sweep.ray_driver {tmp_path}"
    proc = subprocess.run(
        ["unshare", "--net", "sh", "-c", f"ip link set lo up; exec {cmd}"],
        env=env,
        cwd=TESTS_DIR,
        capture_output=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    res = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    assert len(res["local"]) == 18
    assert res["ray"] == res["local"]  # same keys, statuses, outcomes, attempts
    # workers never see the driver's run folder: every trajectory came back through Ray
    assert res["ray_shipping_problems"] == []
    assert res["calls"] == 36  # each executor asked the model once per sample
    assert res["worker_pids"] and res["driver_pid"] not in res["worker_pids"]
    assert res["summaries"][2]["ran"] == 0  # resume through Ray does nothing
