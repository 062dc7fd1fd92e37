"""Files in and out of a sandbox, and the diff a task grades."""

from __future__ import annotations

import os

import pytest

from agentbench.errors import InfraError
from agentbench.sandbox.docker import DockerSandbox

pytestmark = pytest.mark.docker


def test_write_and_read_round_trip(sandbox: DockerSandbox) -> None:
    blob = os.urandom(300_000) + b"\x00\xff"
    sandbox.write_file("/deep/new/dir/blob.bin", blob)
    assert sandbox.read_file("/deep/new/dir/blob.bin") == blob
    sandbox.write_file("/tmp/t.txt", "héllo\n")
    assert sandbox.exec("cat /tmp/t.txt").output == "héllo\n"
    sandbox.exec("ln -s /tmp/t.txt /tmp/link")
    assert sandbox.read_file("/tmp/link") == "héllo\n".encode()
    sandbox.write_file("rel.txt", "relative to workdir")  # workdir is /
    assert sandbox.read_file("/rel.txt") == b"relative to workdir"


@pytest.mark.parametrize("payload", [b"#!/bin/sh\necho new\n", b"#!/bin/sh\necho new\n\x00bin"])
def test_write_keeps_mode_and_follows_symlinks(sandbox: DockerSandbox, payload: bytes) -> None:
    # Text goes through the shell, content with NUL through the archive API: same semantics.
    sandbox.exec("printf 'old' > /tmp/run.sh && chmod 750 /tmp/run.sh && ln -s /tmp/run.sh /tmp/ln")
    sandbox.write_file("/tmp/ln", payload)
    assert (
        sandbox.exec("stat -c '%a %F' /tmp/run.sh /tmp/ln").output
        == "750 regular file\n777 symbolic link\n"
    )
    assert sandbox.read_file("/tmp/run.sh") == payload
    sandbox.write_file("/tmp/fresh.sh", payload, mode=0o700)
    assert sandbox.exec("stat -c %a /tmp/fresh.sh").output == "700\n"


def test_archive_fallback_reads_like_the_shell(sandbox: DockerSandbox) -> None:
    from agentbench.sandbox.files import read_via_archive

    sandbox.write_file("/tmp/a/b.txt", "via archive")
    sandbox.exec("ln -s b.txt /tmp/a/c")
    assert read_via_archive(sandbox.client, sandbox.id, "/tmp/a/c") == b"via archive"
    with pytest.raises(FileNotFoundError):
        read_via_archive(sandbox.client, sandbox.id, "/tmp/a/none")
    with pytest.raises(IsADirectoryError):
        read_via_archive(sandbox.client, sandbox.id, "/tmp/a")


def test_read_errors(sandbox: DockerSandbox) -> None:
    with pytest.raises(FileNotFoundError):
        sandbox.read_file("/no/such/file")
    with pytest.raises(IsADirectoryError):
        sandbox.read_file("/etc")


def _make_repo(sb: DockerSandbox) -> str:
    r = sb.exec(
        "mkdir -p /repo/tests && cd /repo && git init -q && printf 'a\\nb\\n' > m.py && "
        "printf 'def test(): pass\\n' > tests/test_m.py && git add -A && git commit -qm base && "
        "git rev-parse HEAD"
    )
    assert r.exit_code == 0, r.output
    return r.output.strip()


def test_diff_includes_untracked_files_and_honours_exclusions(
    sandbox: DockerSandbox, base_image: str, docker_client, run_id: str
) -> None:
    base = _make_repo(sandbox)
    sandbox.exec("cd /repo && printf 'a\\nB\\n' > m.py && printf 'new\\n' > added.py")
    sandbox.exec("cd /repo && printf 'changed\\n' >> tests/test_m.py && git commit -qam later")
    sandbox.write_file("/repo/bin.dat", bytes(range(256)))
    patch = sandbox.diff(base, exclude=["tests/test_m.py"], repo="/repo")
    assert "+B" in patch and "added.py" in patch and "GIT binary patch" in patch
    assert "test_m.py" not in patch
    # The agent's own index is untouched: the new file is still untracked there.
    assert "?? added.py" in sandbox.exec("cd /repo && git status --porcelain").output
    # The patch applies to the base commit elsewhere and reproduces the tree.
    with DockerSandbox(base_image, run_id=run_id, client=docker_client) as fresh:
        _make_repo(fresh)  # same files; the commit id differs (timestamps)
        fresh.write_file("/tmp/p.diff", patch)
        assert fresh.exec("cd /repo && git apply /tmp/p.diff").exit_code == 0
        assert fresh.read_file("/repo/m.py") == b"a\nB\n"
        assert fresh.read_file("/repo/bin.dat") == bytes(range(256))


def test_diff_sees_same_size_edit_made_in_the_same_second(sandbox: DockerSandbox) -> None:
    base = _make_repo(sandbox)
    # Same size and same second as the commit, then a diff a second later: the stat data
    # match, so only git's racy-entry check (index mtime vs file mtime) sees the edit.
    sandbox.exec("cd /repo && printf 'a\\nc\\n' > m.py && sleep 1.2")
    patch = sandbox.diff(base, repo="/repo")
    assert "-b" in patch and "+c" in patch


def test_diff_of_unchanged_tree_is_empty_and_bad_base_is_an_infra_error(
    sandbox: DockerSandbox,
) -> None:
    _make_repo(sandbox)
    sandbox.exec("cd /tmp")
    assert sandbox.diff(repo="/repo") == ""
    assert sandbox.exec("pwd").output == "/tmp\n"  # diff ran in a subshell
    with pytest.raises(InfraError, match="sandbox_diff"):
        sandbox.diff("0000000000000000000000000000000000000000", repo="/repo")
