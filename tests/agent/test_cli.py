"""`agentbench scaffold check/ls` and `agentbench replay` (plain and --fork-at)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from agentbench.agent.secrets import sandbox_env
from agentbench.logging import configure
from agentbench.models.factory import make_model
from agentbench.records import ToolCall
from agentbench.servers.scripted import Reply, ScriptedServer

from .conftest import TASK_VARS, key_for, run_agent, system_for

AGENTBENCH = [sys.executable, "-m", "agentbench.cli"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*AGENTBENCH, *args], capture_output=True, text=True, timeout=120)


def test_scaffold_check_ok_and_ls() -> None:
    r = _cli("scaffold", "check", "bash-block")
    assert r.returncode == 0, r.stderr
    assert "ok:" in r.stdout and "bash_block" in r.stdout
    r = _cli("scaffold", "ls")
    assert r.returncode == 0 and all(
        n in r.stdout for n in ("bash-react", "bash-block", "edit-tool")
    )


def test_scaffold_check_points_at_the_bad_key(tmp_path: Path) -> None:
    raw = yaml.safe_load(Path("agentbench/scaffolds/bash-react.yaml").read_text())
    raw["instance_template"] = "x"
    raw.pop("instance_template_file")
    raw["truncation"]["tial_chars"] = 5
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw))
    r = _cli("scaffold", "check", str(bad))
    assert r.returncode == 2
    line = " ".join(r.stderr.split())
    assert f"{bad}: truncation.tial_chars:" in line and "Traceback" not in r.stderr
    raw["truncation"].pop("tial_chars")
    raw["system_template"] = "hello {{ hints }}"
    bad.write_text(yaml.safe_dump(raw))
    r = _cli("scaffold", "check", str(bad))
    assert r.returncode == 2 and "system_template" in r.stderr and "hints" in r.stderr
    r = _cli("scaffold", "check", str(bad), "--var", "hints=none")
    assert r.returncode == 0, r.stderr


def _bash(i: int, command: str) -> Reply:
    return Reply(tool_calls=[ToolCall(id=f"c{i}", name="bash", arguments={"command": command})])


SUBMIT = Reply(tool_calls=[ToolCall(id="s", name="submit", arguments={})])


@pytest.mark.docker
def test_replay_and_fork_commands(base_image: str, tmp_path: Path) -> None:
    from agentbench.cli import app
    from agentbench.sandbox.docker import DockerSandbox

    replies = [
        _bash(
            1,
            "git init -q . && git -c user.name=t -c user.email=t@e commit -q --allow-empty -m i && echo hello",
        ),
        _bash(2, "head -c 8 /dev/urandom | od -An -tx1"),
        SUBMIT,
    ]
    traj = tmp_path / "rec.jsonl"
    with (
        ScriptedServer.from_replies(replies) as srv,
        DockerSandbox(
            base_image, run_id="pytest-agent-cli", workdir="/srv/repo", env=sandbox_env()
        ) as sb,
    ):
        system = system_for(srv.base_url)
        run_agent(
            model=make_model(system.model), scaffold="bash-react", sandbox=sb, key=key_for(system),
            system=system, task_vars=TASK_VARS, trajectory_path=traj,
            task_info={"image": base_image, "workdir": "/srv/repo"},
        )  # fmt: skip
    configure("WARNING")  # as the CLI's main() does: logs to stderr, never into --json stdout
    runner = CliRunner()
    r = runner.invoke(app, ["replay", str(traj), "--json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    human = runner.invoke(app, ["replay", str(traj)])
    assert human.exit_code == 0 and "1/2 actions gave a different observation" in human.stdout
    assert rep["n_actions"] == 2 and rep["n_differ"] == 1 and rep["first_divergence"] == 1

    # fork after step 1, two new seeds, against a scripted server named in a model config
    with ScriptedServer.from_replies([_bash(5, "echo forked > new.txt"), SUBMIT]) as srv2:
        mc = tmp_path / "model.yaml"
        mc.write_text(yaml.safe_dump(system_for(srv2.base_url).model.model_dump(mode="json")))
        r = runner.invoke(
            app,
            [
                "replay",
                str(traj),
                "--fork-at",
                "1",
                "--seeds",
                "2",
                "--model-config",
                str(mc),
                "--json",
                "--out",
                str(tmp_path / "f"),
            ],
        )
        assert r.exit_code == 0, r.output
        assert [c.seed for c in srv2.calls][:4] == [1000, 1000, 1001, 1001]
        human = runner.invoke(
            app,
            [
                "replay",
                str(traj),
                "--fork-at",
                "1",
                "--seeds",
                "1",
                "--model-config",
                str(mc),
                "--out",
                str(tmp_path / "g"),
            ],
        )
        assert human.exit_code == 0, human.output
        assert "submitted" in human.stdout and "fork trajectories in" in human.stdout
    rep = json.loads(r.stdout)
    assert [x["exit_status"] for x in rep["results"]] == ["submitted", "submitted"]
    assert rep["spread"][0]["n"] == 2 and rep["spread"][0]["variance"] is None  # not graded
    assert len(list((tmp_path / "f").glob("*.jsonl"))) == 2
    assert all("+forked" in x["patch"] for x in rep["results"])  # the diff of each fork's sandbox


def test_replay_without_image_is_a_user_error(tmp_path: Path) -> None:
    from agentbench.records import SampleKey, StartEvent
    from agentbench.trajectory import TrajectoryWriter

    p = tmp_path / "t.jsonl"
    with TrajectoryWriter(p) as w:
        w.write(
            StartEvent(
                key=SampleKey(task="t", instance_id="i", system="s", system_hash="h", seed=0), t=0.0
            )
        )
    r = _cli("replay", str(p))
    assert r.returncode == 2 and "task_info.image" in r.stderr and "--image" in r.stderr
