"""An agent that leaves a huge file and a running writer still gets its unroll graded.

Before, the final diff died with `InfraError("sandbox_diff", "... failed (137)")` (git
OOM-killed on the big file) and the sweep silently retried the unroll as an infrastructure
failure. Now the patch is taken and the omission is on record.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from agentbench.models.factory import make_model
from agentbench.records import ExitStatus, ToolCall
from agentbench.sandbox.docker import DockerSandbox
from agentbench.sandbox.limits import SandboxLimits
from agentbench.servers.scripted import Reply, ScriptedServer
from agentbench.trajectory import read_trajectory

from .conftest import TASK_VARS, WORKDIR, key_for, run_agent, setup_repo, system_for

pytestmark = pytest.mark.docker

MESS = (
    "sed -i 's/a - b/a + b/' calc.py && head -c 160M /dev/urandom > dump.bin; "
    "(while :; do echo x >> run.log; sleep 0.01; done) &"
)


def _call(i: int, name: str, **arguments: str) -> Reply:
    return Reply(
        text=f"step {i}", tool_calls=[ToolCall(id=f"c{i}", name=name, arguments=arguments)]
    )


def _unroll(sandbox: DockerSandbox, tmp_path: Path, replies: list[Reply]) -> tuple[Any, Any]:
    with ScriptedServer.from_replies(replies) as srv:
        system = system_for(srv.base_url)
        traj = tmp_path / "unroll.jsonl"
        res = run_agent(
            model=make_model(system.model),
            scaffold="bash-react",
            sandbox=sandbox,
            key=key_for(system),
            system=system,
            task_vars=TASK_VARS,
            trajectory_path=traj,
            patch_fn=lambda: sandbox.diff(),
        )
    return res, read_trajectory(traj).end


def test_huge_file_and_leftover_writer_end_as_a_graded_submission(
    base_image: str, tmp_path: Path
) -> None:
    # 160 MB of random data in a 128 MB container: before the fix, git diff died of SIGKILL.
    with DockerSandbox(
        base_image,
        run_id=f"{os.environ.get('AGENTBENCH_TEST_RUN', 'pytest')}-agent-mess",
        workdir=WORKDIR,
        limits=SandboxLimits(memory="128m"),
    ) as sandbox:
        setup_repo(sandbox)
        sandbox.exec(f"cd {WORKDIR}", 10)
        res, end = _unroll(sandbox, tmp_path, [_call(1, "bash", command=MESS), _call(2, "submit")])
        assert res.exit_status == ExitStatus.SUBMITTED and res.error is None
        assert "+    return a + b" in res.patch and "run.log" in res.patch
        assert "dump.bin" not in res.patch and res.patch_omitted == ["dump.bin"]
        assert end is not None and end.patch == res.patch and end.patch_omitted == ["dump.bin"]
        # The writer was stopped before the diff: the log no longer grows.
        size = sandbox.exec("stat -c %s run.log").output
        assert sandbox.exec("sleep 0.2; stat -c %s run.log").output == size


def test_patch_too_large_is_graded_as_no_patch_with_the_reason(
    base_image: str, tmp_path: Path
) -> None:
    with DockerSandbox(
        base_image,
        run_id=f"{os.environ.get('AGENTBENCH_TEST_RUN', 'pytest')}-agent-bigpatch",
        workdir=WORKDIR,
        limits=SandboxLimits(diff_total_bytes=4096),
    ) as sandbox:
        setup_repo(sandbox)
        sandbox.exec(f"cd {WORKDIR}", 10)
        fix = "sed -i 's/a - b/a + b/' calc.py && head -c 20K /dev/urandom > blob.bin"
        res, end = _unroll(sandbox, tmp_path, [_call(1, "bash", command=fix), _call(2, "submit")])
        assert res.exit_status == ExitStatus.SUBMITTED and res.patch == ""
        assert res.error is not None and "too large to be a patch" in res.error
        assert end is not None and end.patch == "" and end.error == res.error


def test_agent_destroying_a_verified_repo_is_graded_as_no_patch(
    make_sandbox: Any, tmp_path: Path
) -> None:
    # Checked whole at the start, gone at the end: the agent's outcome, not an infra error
    # (which the sweep would retry and finally drop as missing data, hiding the failure).
    with make_sandbox() as sandbox:
        sandbox.verify_repo()
        wreck = "sed -i 's/a - b/a + b/' calc.py && rm -rf .git"
        res, end = _unroll(sandbox, tmp_path, [_call(1, "bash", command=wreck), _call(2, "submit")])
        assert res.exit_status == ExitStatus.SUBMITTED and res.patch == ""
        assert res.error is not None and "is not any more" in res.error
        assert end is not None and end.error == res.error


def test_unverified_broken_repo_stays_an_infra_error(make_sandbox: Any, tmp_path: Path) -> None:
    # Without the start check nobody knows whether the repository ever worked.
    from agentbench.errors import InfraError

    with make_sandbox() as sandbox:
        replies = [_call(1, "bash", command="rm -rf .git"), _call(2, "submit")]
        with pytest.raises(InfraError, match="sandbox_diff"):
            _unroll(sandbox, tmp_path, replies)


def test_verify_repo_rejects_a_missing_repo_or_commit(make_sandbox: Any) -> None:
    from agentbench.errors import InfraError

    with make_sandbox() as sandbox:
        sandbox.verify_repo("HEAD")
        with pytest.raises(InfraError, match="not a git work tree with commit 0123abc"):
            sandbox.verify_repo("0123abc")
        with pytest.raises(InfraError, match="sandbox_repo"):
            sandbox.verify_repo(repo="/tmp")
