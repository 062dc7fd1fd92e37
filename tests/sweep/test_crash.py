"""Kill a running `agentbench run` (SIGKILL, Ctrl-C), run it again: every sample exactly once,
nothing recorded is lost, nothing done twice, partial trajectories replaced."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from agentbench.records import SampleStatus
from agentbench.sweep.store import RunStore
from agentbench.trajectory import read_trajectory

from .conftest import TESTS_DIR


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS_DIR), env.get("PYTHONPATH", "")])
    return env


def _start(spec_path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agentbench.cli",
            "run",
            str(spec_path),
            "--no-progress",
        ],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _done_count(run: Path) -> int:
    db = run / "store.sqlite"
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(db, timeout=5)
        try:
            return int(
                conn.execute("SELECT COUNT(*) FROM samples WHERE status='done'").fetchone()[0]
            )
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0  # schema not there yet


def _wait_for(run: Path, n: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    t0 = time.monotonic()
    while _done_count(run) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() - t0 < timeout, "sweep made no progress"
        time.sleep(0.05)


def _partial_trajectories(run: Path) -> list[Path]:
    """Trajectory files with a start but no end event yet (a sample mid-run)."""
    out = []
    for p in (run / "trajectories").rglob("*.jsonl"):
        try:
            text = p.read_text()
        except FileNotFoundError:
            continue
        if text and '"type":"end"' not in text:
            out.append(p)
    return out


def _wait_mid_sample(run: Path, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Wait until some sample is mid-trajectory, so the signal lands inside one."""
    t0 = time.monotonic()
    while not _partial_trajectories(run):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() - t0 < timeout, "no sample seen mid-run"
        time.sleep(0.01)


def _ledger(run: Path) -> list[tuple[int, str]]:
    lines = (run / "ledger.txt").read_text().splitlines()
    return [(int(a), b) for a, b in (ln.split() for ln in lines)]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_interrupt_and_resume(
    tmp_path: Path, seed_spec: dict[str, Any], sig: signal.Signals
) -> None:
    run = Path(seed_spec["run_dir"])
    seed_spec["tasks"][0]["sleep_s"] = 0.5
    seed_spec["seeds"] = 6  # 3 instances × 2 systems × 6 seeds = 36 samples
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(seed_spec))

    proc = _start(spec_path)
    _wait_for(run, 10, proc)
    _wait_mid_sample(run, proc)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == (-9 if sig == signal.SIGKILL else 130), stderr
    if sig != signal.SIGKILL:
        assert b"run the same command to resume" in stderr

    with RunStore.open(run) as store:
        done_before = store.done_keys()
        kept = {k: store.get(k) for k in done_before}
    assert 10 <= len(done_before) < 36
    partial = _partial_trajectories(run)
    assert partial, "the kill should have caught samples mid-trajectory"

    proc2 = _start(spec_path)
    stdout, stderr = proc2.communicate(timeout=120)
    assert proc2.returncode == 0, stderr
    assert b"36 samples planned" in stdout

    with RunStore.open(run) as store:
        results = list(store.iter_results())
        assert len(results) == 36 and len({r.key.key for r in results}) == 36
        assert all(r.status == SampleStatus.DONE for r in results)
        for k, r in kept.items():  # nothing recorded was lost or rewritten
            assert store.get(k) == r
        traj = {r.key.key: run / r.trajectory_path for r in results}
    # nothing done twice: the second process ran only samples not done before
    second = {k for pid, k in _ledger(run) if pid == proc2.pid}
    assert second.isdisjoint(done_before)
    assert len(second) == 36 - len(done_before)
    # one complete trajectory per sample; partial files of killed samples are gone
    files = sorted((run / "trajectories").rglob("*.jsonl"))
    assert sorted(traj.values()) == files
    assert all(read_trajectory(p).end is not None for p in files)
