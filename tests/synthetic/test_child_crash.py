"""`synth train` runs torch in a child: a child killed by a signal ends with a one-line error."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

CLI = [sys.executable, "-m", "agentbench.cli", "synth"]
ENV = {"PATH": "/usr/bin:/bin", "COLUMNS": "200", "OMP_NUM_THREADS": "1"}


def _children_running(module: str) -> list[int]:
    """Pids whose command line runs `python -m module`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if module.encode() in argv:
                pids.append(int(entry.name))
    return pids


def test_a_training_child_killed_by_a_signal_is_one_line_naming_the_signal(tmp_path: Path) -> None:
    cli = subprocess.Popen(
        [*CLI, "train", "-c", "tiny", "--out", str(tmp_path / "run")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    deadline = time.monotonic() + 120
    killed = False
    while not killed and time.monotonic() < deadline and cli.poll() is None:
        for pid in _children_running("agentbench.tasks.synthetic.child"):
            if Path(f"/proc/{pid}/status").read_text().find(f"PPid:\t{cli.pid}\n") >= 0:
                os.kill(pid, signal.SIGSEGV)
                killed = True
        time.sleep(0.05)
    out, err = cli.communicate(timeout=120)
    assert killed, f"no training child appeared: {out} {err}"
    assert cli.returncode == 4, err
    line = err.strip().splitlines()[-1]
    assert "the train process for size tiny killed by SIGSEGV" in line
    assert "Traceback" not in err


def test_the_cli_process_itself_never_imports_torch(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from agentbench.cli import app\n"
        "r = CliRunner().invoke(app, ['synth', 'train', '-c', 'tiny', '--out', sys.argv[1]])\n"
        "assert r.exit_code == 0, r.output\n"
        "r = CliRunner().invoke(app, ['synth', 'rollout', '-c', 'tiny', '--out', sys.argv[1]])\n"
        "assert r.exit_code == 0, r.output\n"
        "print('torch loaded:', 'torch' in sys.modules)\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "run")],
        capture_output=True,
        text=True,
        timeout=300,
        env=ENV,
        cwd=Path(__file__).parents[2],
    )
    assert res.returncode == 0, res.stderr
    assert "torch loaded: False" in res.stdout
    assert (tmp_path / "run" / "tiny" / "rollout.json").is_file()
