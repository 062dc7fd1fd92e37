"""The demo's actual `sandbox_diff ... failed (137): ` (empty output), reproduced.

At 13:51:13 the host ran out of memory (another process held 23 GB); the kernel's global
OOM killer took the processes with oom_score_adj 1000 first: two idle sandbox worker shells.
Each unroll's next command was its final diff, and the dead worker's status (137) was
reported as the diff's although git never ran. Here the kill is sent from outside, as the
kernel sent it.
"""

from __future__ import annotations

import time

import pytest

from agentbench.sandbox.docker import DockerSandbox

pytestmark = pytest.mark.docker


def _sigkill_worker_from_outside(sb: DockerSandbox, docker_client) -> None:
    api = docker_client.api
    api.exec_start(api.exec_create(sb.id, ["kill", "-9", str(sb.worker_pid)]))
    time.sleep(0.3)  # the wrapper's death notice is on its way before the next command


def test_worker_killed_while_idle_does_not_fail_the_diff(
    sandbox: DockerSandbox, docker_client
) -> None:
    r = sandbox.exec(
        "mkdir -p /repo && cd /repo && git init -q && printf 'a\\n' > m.py && git add -A && "
        "git -c user.email=t@example.com -c user.name=t commit -qm base && "
        "printf 'b\\n' >> m.py && git rev-parse HEAD"
    )
    assert r.exit_code == 0, r.output
    base = r.output.strip()
    old_worker = sandbox.worker_pid
    _sigkill_worker_from_outside(sandbox, docker_client)
    patch = sandbox.diff(base, repo="/repo")
    assert "+b" in patch
    assert sandbox.worker_pid != old_worker
    # The other harness operations survive it the same way.
    _sigkill_worker_from_outside(sandbox, docker_client)
    assert sandbox._exec_bytes("cat /repo/m.py") == (0, b"a\nb\n")


def test_agent_command_after_an_idle_kill_runs_with_its_own_exit_code(
    sandbox: DockerSandbox, docker_client
) -> None:
    # Before: the command never ran and came back as exit 137 with no output.
    sandbox.exec("cd /tmp && export KEEP=1")
    _sigkill_worker_from_outside(sandbox, docker_client)
    r = sandbox.exec("echo ran; pwd; echo ${KEEP:-lost}; exit_with() { return 3; }; exit_with")
    assert r.shell_restarted and r.exit_code == 3
    assert r.output == "ran\n/\nlost\n"  # a fresh shell: its state is gone, as reported
    r = sandbox.exec("echo next")
    assert r.output == "next\n" and r.exit_code == 0 and not r.shell_restarted
