"""Harness commands (diff, reads) after the agent's shell was idle.

What a background job printed between two commands, or a worker that died while idle,
belongs to no harness command: it must not end up in a patch, a file's contents or the
list of paths the diff left out, and the command must run once.
"""

from __future__ import annotations

import time

import pytest

from agentbench.sandbox.docker import DockerSandbox

pytestmark = pytest.mark.docker

_REPO = (
    "mkdir -p /repo && cd /repo && git init -q && printf 'a\\n' > m.py && git add -A && "
    "git -c user.email=t@example.com -c user.name=t commit -qm base && "
    "printf 'b\\n' >> m.py && git rev-parse HEAD"
)


def _print_later(sb: DockerSandbox, text: str) -> None:
    # A job the agent left behind that prints after its command has finished.
    r = sb.exec(f"(sleep 0.2; printf '{text}') &")
    assert r.exit_code == 0, r.output
    time.sleep(0.8)


def test_background_output_between_commands_stays_out_of_the_patch(
    sandbox: DockerSandbox,
) -> None:
    r = sandbox.exec(_REPO)
    assert r.exit_code == 0, r.output
    base = r.output.strip()
    clean = sandbox.diff(base, repo="/repo")
    _print_later(sandbox, "LEFTOVER\\n")
    assert sandbox.diff(base, repo="/repo") == clean
    assert sandbox.diff_omitted == []
    _print_later(sandbox, "LEFTOVER\\n")
    assert sandbox._exec_bytes("cat /repo/m.py") == (0, b"a\nb\n")


def test_background_output_without_newline_stays_out_of_a_read(sandbox: DockerSandbox) -> None:
    sandbox.exec("printf content > /tmp/f")
    _print_later(sandbox, "x")  # shorter than a marker token: must not be kept as one
    assert sandbox._exec_bytes("cat /tmp/f") == (0, b"content")
    # the agent's own next command still shows it, as a terminal would
    _print_later(sandbox, "seen")
    assert sandbox.exec("true").output == "seen"


def test_harness_command_after_an_idle_kill_runs_once(
    sandbox: DockerSandbox, docker_client
) -> None:
    api = docker_client.api
    api.exec_start(api.exec_create(sandbox.id, ["kill", "-9", str(sandbox.worker_pid)]))
    time.sleep(0.3)  # the death notice arrives before the next command
    code, out = sandbox._exec_bytes("echo run >> /tmp/runs; cat /tmp/runs")
    assert (code, out) == (0, b"run\n")
