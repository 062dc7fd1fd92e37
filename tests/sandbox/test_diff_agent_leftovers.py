"""diff() after an agent made a mess: what it left running, huge or unreadable files.

Each of these used to turn the agent's own doing into `InfraError("sandbox_diff", ...
(137))` (git OOM-killed on a big file, as in the demo's message), a silently wrong patch,
or a patch of a tree still changing under git.
"""

from __future__ import annotations

import pytest

from agentbench.sandbox.base import PatchTooLarge
from agentbench.sandbox.diffing import split_output
from agentbench.sandbox.docker import DockerSandbox
from agentbench.sandbox.limits import SandboxLimits

pytestmark = pytest.mark.docker

_REPO = (
    "mkdir -p /repo && cd /repo && git init -q && printf 'a\\n' > m.py && git add -A && "
    "git -c user.email=t@example.com -c user.name=t commit -qm base && git rev-parse HEAD"
)


def _repo(sb: DockerSandbox) -> str:
    r = sb.exec(_REPO)
    assert r.exit_code == 0, r.output
    return r.output.strip()


def _count(sb: DockerSandbox, comm: str) -> int:
    return int(sb.exec(f"ps -eo comm | grep -c '^{comm}$'").output.strip())


def test_huge_file_is_left_out_instead_of_git_being_oom_killed(
    base_image: str, docker_client, run_id: str
) -> None:
    # 160 MB of random bytes against a 128 MB container: `git diff --binary` used to be
    # SIGKILLed (137) every time, just like the demo's 2 GB sandboxes with bigger files.
    limits = SandboxLimits(memory="128m")
    with DockerSandbox(base_image, run_id=run_id, limits=limits, client=docker_client) as sb:
        base = _repo(sb)
        r = sb.exec("cd /repo && head -c 160M /dev/urandom > big.bin && printf 'b\\n' >> m.py")
        assert r.exit_code == 0, r.output
        patch = sb.diff(base, repo="/repo")
        assert "+b" in patch and "big.bin" not in patch
        assert sb.diff_omitted == ["big.bin"]
        assert sb.exec("cd /repo && git status --porcelain").output == " M m.py\n?? big.bin\n"


def test_oversized_file_the_agent_committed_is_reset_to_the_base(
    base_image: str, docker_client, run_id: str
) -> None:
    limits = SandboxLimits(diff_file_bytes=64 * 1024)
    with DockerSandbox(base_image, run_id=run_id, limits=limits, client=docker_client) as sb:
        base = _repo(sb)
        r = sb.exec(
            "cd /repo && head -c 100K /dev/urandom > 'we ird[1].bin' && "
            "head -c 100K /dev/urandom > staged.bin && printf 'b\\n' >> m.py && "
            "head -c 1K /dev/urandom > small.bin && git add -A && "
            "git -c user.email=t@example.com -c user.name=t commit -qm wip && "
            "git rm -q --cached staged.bin"
        )
        assert r.exit_code == 0, r.output
        patch = sb.diff(base, repo="/repo")
        assert "+b" in patch and "small.bin" in patch
        assert "ird[1]" not in patch and "staged.bin" not in patch
        assert sorted(sb.diff_omitted) == ["staged.bin", "we ird[1].bin"]
        assert sb.diff(base, repo="/repo") == patch  # nothing changed in the agent's repo


def test_processes_left_running_are_stopped_so_the_tree_is_settled(sandbox: DockerSandbox) -> None:
    base = _repo(sandbox)
    # A background job, a double-forked daemon and a nohup'd loop, all still writing.
    r = sandbox.exec(
        "cd /repo && (while :; do echo j >> job.log; sleep 0.01; done) & "
        "(sh -c 'while :; do echo d >> /repo/daemon.log; sleep 0.01; done' &) ; "
        "nohup sh -c 'while :; do sleep 0.01; done' >/dev/null 2>&1 & sleep 0.3"
    )
    assert r.exit_code == 0, r.output
    # Still running: both logs grow, and the two `sh` loops are alive (a count of `sleep`
    # raced with the loops' instants between sleeps on a loaded machine).
    grows = sandbox.exec(
        "cd /repo && a=$(cat job.log daemon.log | wc -c); sleep 0.3; "
        "b=$(cat job.log daemon.log | wc -c); test $b -gt $a"
    )
    assert grows.exit_code == 0, grows.output
    assert _count(sandbox, "sh") >= 2
    sandbox.exec("cd /tmp && export KEEP=1")
    first = sandbox.diff(base, repo="/repo")
    assert "job.log" in first and "daemon.log" in first
    sandbox.exec("sleep 0.3")
    assert sandbox.diff(base, repo="/repo") == first  # nothing writes any more
    assert _count(sandbox, "sleep") == 0 and _count(sandbox, "sh") == 0
    assert sandbox.exec("pwd; echo $KEEP").output == "/tmp\n1\n"  # the shell itself stays


def test_diff_can_leave_processes_running(sandbox: DockerSandbox) -> None:
    base = _repo(sandbox)
    sandbox.exec("sleep 1000 &")
    assert sandbox.diff(base, repo="/repo", stop_processes=False) == ""
    assert _count(sandbox, "sleep") == 1


def test_unreadable_file_does_not_empty_the_patch(sandbox: DockerSandbox) -> None:
    # Capabilities are dropped, so even root cannot read a mode-000 file; `git add -A`
    # used to abort on it and the patch silently lost every other change.
    base = _repo(sandbox)
    r = sandbox.exec("cd /repo && printf x > secret && chmod 000 secret && printf 'b\\n' >> m.py")
    assert r.exit_code == 0, r.output
    assert sandbox.exec("cat /repo/secret").exit_code != 0
    patch = sandbox.diff(base, repo="/repo")
    assert "+b" in patch and "secret" not in patch


def test_patch_over_the_total_limit_raises_patch_too_large(
    base_image: str, docker_client, run_id: str
) -> None:
    limits = SandboxLimits(diff_total_bytes=4096)
    with DockerSandbox(base_image, run_id=run_id, limits=limits, client=docker_client) as sb:
        base = _repo(sb)
        sb.exec("cd /repo && for i in 1 2 3; do head -c 2K /dev/urandom > r$i.bin; done")
        with pytest.raises(PatchTooLarge, match="over 4096 bytes"):
            sb.diff(base, repo="/repo")
        sb.exec("rm /repo/r2.bin /repo/r3.bin")
        assert "r1.bin" in sb.diff(base, repo="/repo")  # under the limit again


def test_split_output() -> None:
    assert split_output(b"\0diff --git a b\n") == ([], b"diff --git a b\n")
    assert split_output(b"a b\0\xff\0\0patch") == (["a b", "\ufffd"], b"patch")
    assert split_output(b"bash: cd: /nope: No such file") == ([], b"bash: cd: /nope: No such file")
    assert split_output(b"") == ([], b"")


def test_oversized_file_the_agent_left_as_it_was_is_not_called_omitted(
    base_image: str, docker_client, run_id: str
) -> None:
    # A big file that is part of the base commit and unchanged is not missing from the
    # patch: naming it in diff_omitted (and the run's patch_omitted) would be false.
    limits = SandboxLimits(diff_file_bytes=64 * 1024)
    with DockerSandbox(base_image, run_id=run_id, limits=limits, client=docker_client) as sb:
        r = sb.exec(
            "mkdir -p /repo/data && cd /repo && git init -q && printf 'a\\n' > m.py && "
            "head -c 100K /dev/urandom > data/fixture.bin && "
            "head -c 100K /dev/urandom > edited.bin && git add -A && "
            "git -c user.email=t@example.com -c user.name=t commit -qm base && "
            "printf 'b\\n' >> m.py && printf x >> edited.bin && touch data/fixture.bin && "
            "git rev-parse HEAD"
        )
        assert r.exit_code == 0, r.output
        base = r.output.strip()
        patch = sb.diff(base, repo="/repo")
        assert "+b" in patch and "bin" not in patch
        assert sb.diff_omitted == ["edited.bin"]
