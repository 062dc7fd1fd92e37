"""Fork a real SWE-bench-style trajectory and grade every continuation through the task."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from agentbench.config import LimitsConfig, ModelConfig, SystemConfig
from agentbench.logging import configure
from agentbench.records import SampleKey, ToolCall
from agentbench.servers.scripted import Reply, ScriptedCall, ScriptedServer

pytestmark = pytest.mark.docker

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "suites" / "agentbench-tiny"
FIX_MUL = "sed -i 's/return a + b  # BUG/return a * b/' calc/__init__.py"
BREAK_SUB = "sed -i 's/return a - b/return b - a/' calc/__init__.py"


def bash(i: int, command: str) -> Reply:
    return Reply(tool_calls=[ToolCall(id=f"c{i}", name="bash", arguments={"command": command})])


SUBMIT = Reply(tool_calls=[ToolCall(id="s", name="submit", arguments={})])


def test_fork_cli_grades_each_seed_with_the_task(base_image: str, tmp_path: Path) -> None:
    from agentbench.cli import app
    from agentbench.tasks.registry import make_task

    task: Any = make_task({"kind": "swebench", "dataset": str(TINY), "test_timeout_s": 120})
    with ScriptedServer.from_replies([bash(1, "ls"), bash(2, FIX_MUL), SUBMIT]) as srv:
        mc = ModelConfig(
            provider="scripted", name="scripted-1", base_url=srv.base_url, max_retries=0
        )
        system = SystemConfig(name="s", model=mc, scaffold="bash-react", limits=LimitsConfig())
        key = SampleKey(
            task=task.name,
            instance_id="calc-1",
            system="s",
            system_hash=system.config_hash(),
            seed=0,
        )
        res = asyncio.run(task.arun_sample(key, system, tmp_path))
    assert res.resolved is True
    traj = tmp_path / str(res.trajectory_path)

    def by_seed(c: ScriptedCall) -> Reply:
        # after the replayed `ls`: odd seeds apply the real fix, even seeds a wrong one
        if c.index % 2 == 1:
            return SUBMIT
        return bash(10, FIX_MUL if (c.seed or 0) % 2 else BREAK_SUB)

    configure("WARNING")
    # a plain replay in a fresh instance container reproduces every observation
    r = CliRunner().invoke(app, ["replay", str(traj), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["n_differ"] == 0 and json.loads(r.stdout)["n_actions"] == 2
    with ScriptedServer(by_seed) as srv2:
        # the recorded task_info names the suite, not its folder: give the spec explicitly
        spec = tmp_path / "task.yaml"
        spec.write_text(yaml.safe_dump({"kind": "swebench", "dataset": str(TINY)}))
        cfg = tmp_path / "model.yaml"
        cfg.write_text(
            yaml.safe_dump(
                mc.model_copy(update={"base_url": srv2.base_url}).model_dump(mode="json")
            )
        )
        r = CliRunner().invoke(app, [
            "replay", str(traj), "--fork-at", "1", "--seeds", "2", "--seed-start", "1",
            "--model-config", str(cfg), "--task-spec", str(spec), "--json", "--out", str(tmp_path / "forks"),
        ])  # fmt: skip
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert [x["seed"] for x in rep["results"]] == [1, 2]
    assert [x["outcome"]["resolved"] for x in rep["results"]] == [True, False]
    (sp,) = rep["spread"]
    assert sp["resolved_rate"] == 0.5 and sp["distinct_patches"] == 2
    assert sp["variance"] > 0 and sp["bias2"] > 0
