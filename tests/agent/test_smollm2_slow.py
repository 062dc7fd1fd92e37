"""A short real run with the embedded SmolLM2-135M model, through the same code path.

SmolLM2-135M is a TINY model: it checks plumbing (real tokens over a real OpenAI-wire
server into the loop and a real sandbox), not problem solving.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentbench.config import LimitsConfig, ModelConfig, SystemConfig
from agentbench.models.factory import make_model
from agentbench.records import LIMIT_STATUSES, ExitStatus, ModelCallEvent
from agentbench.trajectory import read_trajectory

from .conftest import TASK_VARS, key_for, run_agent

pytestmark = [pytest.mark.slow, pytest.mark.docker]


def test_smollm2_short_run(sandbox: Any, tmp_path: Path, record_property: Any) -> None:
    pytest.importorskip("llama_cpp", reason="install the 'local' extra (scripts/setup.sh)")
    mc = ModelConfig(provider="local", name="smollm2-135m-instruct", max_tokens=32, temperature=0.7)
    system = SystemConfig(
        name="smollm2-bash-block", model=mc, scaffold="bash-block",
        # two steps keep it ~10-20 s on an idle 2-core machine; the wall cap only guards hangs
        limits=LimitsConfig(max_steps=2, max_wall_s=300, command_timeout_s=10),
    )  # fmt: skip
    traj = tmp_path / "smol.jsonl"
    res = run_agent(
        model=make_model(mc), scaffold="bash-block", sandbox=sandbox, key=key_for(system, 3),
        system=system, task_vars=TASK_VARS, trajectory_path=traj, patch_fn=lambda: sandbox.diff(),
        task_info={"note": "SmolLM2-135M is a tiny model: plumbing check only"},
    )  # fmt: skip
    msg = f"SmolLM2-135M (a TINY model, plumbing only): {res.exit_status.value} after {res.n_steps} steps, {res.usage.output_tokens} output tokens"
    print(msg)
    record_property("smollm2", msg)
    assert res.exit_status in LIMIT_STATUSES | {ExitStatus.SUBMITTED}
    t = read_trajectory(traj)
    calls = [e for e in t.events if isinstance(e, ModelCallEvent)]
    assert calls and all(c.response.usage.output_tokens > 0 for c in calls)  # real generation
    assert any(c.response.text.strip() for c in calls)
    assert len(t.messages()) == res.n_messages
