"""One writer per run folder: a second `run` is refused (or waits), and the lock dies with kill -9."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from agentbench.store.runstore import RunStore
from agentbench.trajectory import read_trajectory

from .test_crash import _env, _ledger, _start, _wait_for


def _spec(tmp_path: Path, seed_spec: dict[str, Any]) -> Path:
    seed_spec["tasks"][0]["sleep_s"] = 1.0
    seed_spec["seeds"] = 2  # 3 instances × 2 systems × 2 seeds = 12 samples, ~3 s in all
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(seed_spec))
    return path


def _each_once(run: Path) -> None:
    """Every trajectory holds one start and one end; the ledger names every sample once."""
    files = sorted((run / "trajectories").rglob("*.jsonl"))
    assert len(files) == 12
    for p in files:
        text = p.read_text()
        assert text.count('"type":"start"') == 1 and text.count('"type":"end"') == 1, p
        assert read_trajectory(p).end is not None
    counts = Counter(k for _, k in _ledger(run))
    assert len(counts) == 12 and set(counts.values()) == {1}, counts


def _with_wait(spec: Path) -> subprocess.Popen[bytes]:
    import sys

    from .test_crash import _env

    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agentbench.cli",
            "run",
            str(spec),
            "--no-progress",
            "--wait",
        ],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_a_second_run_is_refused_and_names_the_holder(
    tmp_path: Path, seed_spec: dict[str, Any]
) -> None:
    spec = _spec(tmp_path, seed_spec)
    run = Path(seed_spec["run_dir"])
    first = _start(spec)
    _wait_for(run, 1, first)
    second = _start(spec)
    out2, err2 = second.communicate(timeout=120)
    out1, err1 = first.communicate(timeout=120)
    assert first.returncode == 0, err1
    assert second.returncode == 2, err2
    assert b"plan: " in out1 and b"plan: " not in out2  # the plan is printed under the lock
    lines = [ln for ln in err2.decode().splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err2.decode(), err2
    assert "another agentbench run is writing this folder" in lines[0]
    assert f"pid {first.pid}" in lines[0] and "--wait" in lines[0]
    _each_once(run)


def test_wait_queues_behind_the_holder(tmp_path: Path, seed_spec: dict[str, Any]) -> None:
    spec = _spec(tmp_path, seed_spec)
    run = Path(seed_spec["run_dir"])
    first = _start(spec)
    _wait_for(run, 1, first)
    second = _with_wait(spec)
    out2, err2 = second.communicate(timeout=120)
    _, err1 = first.communicate(timeout=120)
    assert first.returncode == 0 and second.returncode == 0, err1 + err2
    assert f"pid {first.pid}" in err2.decode() and "waiting" in err2.decode()
    assert b"12 samples planned" in out2
    assert out2.index(b"plan: ") < out2.index(b"12 samples planned")  # its plan, once it held it
    _each_once(run)  # the waiter found everything done and ran nothing again


def test_the_lock_dies_with_a_killed_holder(tmp_path: Path, seed_spec: dict[str, Any]) -> None:
    spec = _spec(tmp_path, seed_spec)
    run = Path(seed_spec["run_dir"])
    first = _start(spec)
    _wait_for(run, 1, first)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=30)
    assert first.returncode == -9
    with RunStore.open(run) as store:
        stored = store.done_keys()
    second = _start(spec)  # no --wait: a stale lock would refuse it
    _, err2 = second.communicate(timeout=120)
    assert second.returncode == 0, err2
    with_first = {k for pid, k in _ledger(run) if pid == first.pid}
    with_second = {k for pid, k in _ledger(run) if pid == second.pid}
    # what the store held at the kill is not run again; a sample the killed process finished
    # but had not stored yet is (the ledger line is written before the store commit)
    assert stored and stored <= with_first and with_second.isdisjoint(stored)
    assert with_first | with_second == stored | with_second and len(stored | with_second) == 12


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root to become nobody"
)
def test_a_read_only_run_folder_is_one_line(seed_spec: dict[str, Any]) -> None:
    # root ignores file modes, so the run is made as nobody in a folder nobody cannot write
    base = Path(os.environ.get("TMPDIR", "/tmp")) / f"agentbench-rorun-{os.getpid()}"
    (base / "ro").mkdir(parents=True)
    try:
        seed_spec["run_dir"] = str(base / "ro")
        spec = base / "spec.yaml"
        spec.write_text(yaml.safe_dump(seed_spec))
        os.chmod(base, 0o755)
        os.chmod(spec, 0o644)
        os.chmod(base / "ro", 0o555)
        env = {**_env(), "HOME": str(base)}
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable,
               "-m", "agentbench.cli", "run", str(spec), "--no-progress"]  # fmt: skip
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, cwd=base)
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert res.returncode == 3 and "Traceback" not in res.stderr, res.stderr
        assert len(lines) == 1 and "Permission denied" in lines[0] and "ro" in lines[0], lines
        assert list((base / "ro").iterdir()) == []
    finally:
        shutil.rmtree(base)
