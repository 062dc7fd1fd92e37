"""Who owns a container: labels naming this process, and the test that a labelled owner is gone."""

from __future__ import annotations

import os
import socket

LABEL = "agentbench"
RUN = "agentbench.run"
PID = "agentbench.pid"
PID_START = "agentbench.pid_start"
HOST = "agentbench.host"
TEST = "agentbench.test"


def process_start(pid: int) -> str | None:
    """Start time of `pid` in clock ticks since boot (None if no such process)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    # Field 22 (starttime); split after the last ')' because comm may contain spaces.
    fields = stat[stat.rfind(b")") + 2 :].split()
    return fields[19].decode() if len(fields) > 19 else None


def hostname() -> str:
    """This host's name as written in container labels."""
    return socket.gethostname()


def owner_labels(run_id: str) -> dict[str, str]:
    """Labels for a container owned by this process in run `run_id`."""
    pid = os.getpid()
    labels = {
        LABEL: "1",
        RUN: run_id,
        PID: str(pid),
        PID_START: process_start(pid) or "",
        HOST: hostname(),
    }
    test_run = os.environ.get("AGENTBENCH_TEST_RUN")
    if test_run:
        labels[TEST] = test_run
    return labels


def owner_alive(labels: dict[str, str]) -> bool:
    """True if the labelled owner process still runs on this host (same pid and start time)."""
    try:
        pid = int(labels.get(PID, ""))
    except ValueError:
        return False
    start = process_start(pid)
    return start is not None and start == labels.get(PID_START)
