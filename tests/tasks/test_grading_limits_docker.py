"""The grading container has the sandbox's limits: a flood or a process storm ends with its reason."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from agentbench.tasks.swebench import grading
from agentbench.tasks.swebench.task import SWEBenchTask

from .conftest import TINY

pytestmark = pytest.mark.docker


def _mul_patch(body: list[str]) -> str:
    """A patch replacing the buggy body of calc.mul with `body` (indented lines)."""
    plus = "".join(f"+{ln}\n" for ln in body)
    return (
        "diff --git a/calc/__init__.py b/calc/__init__.py\n"
        "--- a/calc/__init__.py\n+++ b/calc/__init__.py\n"
        f"@@ -10,7 +10,{6 + len(body)} @@ def sub(a, b):\n \n \n def mul(a, b):\n"
        f"-    return a + b  # BUG\n{plus} \n \n def div(a, b):\n"
    )


# writes 48 MiB straight to the container's stdout (past pytest's capture), then fixes mul
FLOOD = _mul_patch([
    '    with open("/proc/1/fd/1", "wb") as out:',
    "        for _ in range(48):",
    '            out.write(b"x" * 1048575 + b"\\n")',
    "    return a * b",
])  # fmt: skip
# starts 2000 sleeping processes (bounded, so safe without a limit too) and says how many
STORM = _mul_patch([
    "    import subprocess",
    "    n = 0",
    "    try:",
    "        for _ in range(2000):",
    '            subprocess.Popen(["sleep", "60"])',
    "            n += 1",
    "    finally:",
    '        open("/proc/1/fd/1", "w").write(f"STARTED {n}\\n")',
    "    return a * b",
])  # fmt: skip

# forks forever: every process, children included, keeps forking and never exits
FORK_BOMB = _mul_patch([
    "    import os, time",
    "    while True:",
    "        try:",
    "            os.fork()",
    "        except OSError:",
    "            time.sleep(0.01)",
])  # fmt: skip

# holds 1 GiB: past a 128 MiB grading limit the kernel kills the test process
MEMORY_HOG = _mul_patch([
    "    hog = bytearray(1 << 30)",
    "    return a * b + len(hog) * 0",
])  # fmt: skip


@pytest.fixture(scope="module")
def tiny(docker_client: Any, base_image: str) -> SWEBenchTask:
    return SWEBenchTask.from_spec({"kind": "swebench", "dataset": str(TINY)})


def _grade(task: SWEBenchTask, patch: str, **kw: Any):
    inst = task.instance("calc-1")
    return grading.grade(inst, patch, image=task.image(inst), suite=task.dataset.suite, **kw)


def _no_graders(docker_client: Any) -> None:
    left = docker_client.containers.list(
        all=True, filters={"label": f"{grading.GRADER_LABEL}=grader"}
    )
    assert not left


def test_flooded_output_is_cut_on_the_way_in_and_still_graded(
    tiny: SWEBenchTask,
    docker_client: Any,
) -> None:
    out = _grade(tiny, FLOOD, timeout_s=120)
    # the tail the parser needs was kept: mul is fixed, everything passes
    assert out.patch_applied and out.resolved and all(out.passed)
    assert any(n.startswith("output cut: ") for n in out.grading_notes), out.grading_notes
    cut = int(re.search(r"([\d,]+) dropped", " ".join(out.grading_notes))[1].replace(",", ""))
    assert cut > 10 << 20  # 48 MiB in, at most 32 MiB kept
    assert out.log_excerpt.startswith("[output cut: ")
    _no_graders(docker_client)


def test_a_process_storm_stops_at_the_pids_limit(
    tiny: SWEBenchTask,
    tmp_path: Path,
    docker_client: Any,
) -> None:
    out = _grade(tiny, STORM, timeout_s=120, log_path=tmp_path / "grade.log")
    text = (tmp_path / "grade.log").read_text()
    started = int(re.search(r"STARTED (\d+)", text)[1])
    assert started < grading.GRADING_PIDS  # the limit, not the loop, ended it
    assert "BlockingIOError" in text or "Resource temporarily unavailable" in text
    # graded as the agent's failure (its mul raised), not an infra error; the host is fine
    assert out.patch_applied and not out.resolved
    assert dict(zip(out.tests, out.passed, strict=True))["tests/test_calc.py::test_mul"] is False
    assert subprocess.run(["true"], check=False).returncode == 0
    _no_graders(docker_client)


def test_an_endless_fork_bomb_ends_at_the_time_limit_with_its_reason(
    tiny: SWEBenchTask,
    docker_client: Any,
) -> None:
    out = _grade(tiny, FORK_BOMB, timeout_s=20)
    # the pids limit held the bomb inside; the grading time limit ended it, on record
    assert out.patch_applied and not out.resolved
    assert any("timed out after 20 s" in n for n in out.grading_notes), out.grading_notes
    assert subprocess.run(["true"], check=False).returncode == 0  # the host can still fork
    _no_graders(docker_client)


def test_a_memory_hog_is_killed_at_the_memory_limit_and_graded_with_the_reason(
    tiny: SWEBenchTask,
    docker_client: Any,
) -> None:
    out = _grade(tiny, MEMORY_HOG, timeout_s=120, mem_limit="128m")
    assert out.patch_applied and not out.resolved
    assert any(n.startswith("out of memory: ") and "128m" in n for n in out.grading_notes), (
        out.grading_notes
    )
    assert dict(zip(out.tests, out.passed, strict=True))["tests/test_calc.py::test_mul"] is False
    _no_graders(docker_client)


def test_the_grading_container_has_the_sandbox_limits(docker_client: Any, base_image: str) -> None:
    files = {
        "grade.sh": "grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; cat /sys/fs/cgroup/pids.max "
        "/sys/fs/cgroup/pids/pids.max 2>/dev/null; "
        # cgroup v2's cpu.max, else v1's quota and period
        "echo CPU $(cat /sys/fs/cgroup/cpu.max 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us); id -u\n"
    }
    run = grading.run_grading_container(base_image, files, timeout_s=30, client=docker_client)
    caps = int(re.search(r"CapEff:\s*([0-9a-f]+)", run.text)[1], 16)
    assert caps & (1 << 13) == 0  # CAP_NET_RAW dropped
    assert caps & (1 << 27) == 0  # CAP_MKNOD dropped
    assert caps & (1 << 18) == 0  # CAP_SYS_CHROOT dropped
    assert re.search(r"NoNewPrivs:\s*1", run.text)
    assert str(grading.GRADING_PIDS) in run.text.split()
    quota, period = re.search(r"CPU (\S+) (\d+)", run.text).groups()
    cores = min(grading.GRADING_CPUS, os.cpu_count() or 1)
    assert int(quota) == pytest.approx(cores * int(period))
    _no_graders(docker_client)
