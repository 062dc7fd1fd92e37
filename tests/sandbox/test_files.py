"""The diff of a sandbox's repository that a task grades."""

from __future__ import annotations

import pytest

from agentbench.errors import InfraError
from agentbench.sandbox.docker import DockerSandbox

pytestmark = pytest.mark.docker


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
    sandbox.exec("python3 -c \"open('/repo/bin.dat', 'wb').write(bytes(range(256)))\"")
    patch = sandbox.diff(base, exclude=["tests/test_m.py"], repo="/repo")
    assert "+B" in patch and "added.py" in patch and "GIT binary patch" in patch
    assert "test_m.py" not in patch
    # The agent's own index is untouched: the new file is still untracked there.
    assert "?? added.py" in sandbox.exec("cd /repo && git status --porcelain").output
    # The patch applies to the base commit elsewhere and reproduces the tree.
    with DockerSandbox(base_image, run_id=run_id, client=docker_client) as fresh:
        _make_repo(fresh)  # same files; the commit id differs (timestamps)
        assert fresh.exec(f"cd /repo && git apply <<'EOF'\n{patch}EOF").exit_code == 0
        assert fresh.exec("cat /repo/m.py").output == "a\nB\n"
        hexdump = fresh.exec("od -An -tx1 -v /repo/bin.dat | tr -d ' \\n'").output
        assert hexdump == bytes(range(256)).hex()


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
