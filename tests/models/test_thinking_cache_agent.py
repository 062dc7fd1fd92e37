"""The real agent loop in a real Docker sandbox: after a cache hit its next request still
carries the signed thinking blocks (Anthropic wire of the scripted server, SDK client)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scripted_plans import SUBMIT

from agentbench.config import LimitsConfig, ModelConfig, SystemConfig
from agentbench.models.factory import make_model
from agentbench.records import SampleKey, ToolCall
from agentbench.servers.scripted import Reply, ScriptedServer
from agentbench.servers.scripted.types import ScriptedCall

pytestmark = pytest.mark.docker

# output differs per run, so the follow-up request is never itself a cache hit
COMMAND = "cat /proc/sys/kernel/random/uuid"


def respond(call: ScriptedCall) -> Reply:
    """Step 0: think (signed + redacted) and run COMMAND; then submit."""
    if any(m.role == "assistant" for m in call.messages):
        return SUBMIT
    return Reply(
        reasoning=f"look around first, seed {call.seed}",
        signature=f"sig-{call.seed}",
        redacted=[f"opaque-{call.seed}"],
        tool_calls=[ToolCall(id="c1", name="bash", arguments={"command": COMMAND})],
    )


@pytest.fixture
def sandbox(base_image: str) -> Iterator[Any]:
    """A bare sandbox (the commands need no repository)."""
    from agentbench.agent.secrets import sandbox_env
    from agentbench.sandbox.docker import DockerSandbox

    run_id = f"{os.environ.get('AGENTBENCH_TEST_RUN', 'pytest')}-models-thinking"
    with DockerSandbox(base_image, run_id=run_id, workdir="/tmp", env=sandbox_env()) as sb:
        yield sb


def claude(srv: ScriptedServer, **model: Any) -> ModelConfig:
    """A thinking model on `srv`; further settings from `model`."""
    return ModelConfig(
        provider="scripted",
        name="scripted-claude",
        base_url=srv.base_url,
        max_retries=0,
        reasoning_budget=1024,
        **model,
    )


def unroll(srv: ScriptedServer, sandbox: Any, tmp_path: Path, name: str, **model: Any) -> None:
    """One agent unroll (seed 4) against `srv`; model settings from `model`."""
    import asyncio

    from agentbench.agent.loop import arun_agent

    mc = claude(srv, **model)
    system = SystemConfig(
        name="thinking", model=mc, scaffold="bash-react", limits=LimitsConfig(max_steps=5)
    )
    key = SampleKey(
        task="toy", instance_id="i", system="thinking", system_hash=system.config_hash(), seed=4
    )
    llm = make_model(mc)
    try:
        res = asyncio.run(
            arun_agent(
                model=llm,
                scaffold="bash-react",
                sandbox=sandbox,
                key=key,
                system=system,
                task_vars={
                    "problem_statement": "look around",
                    "repo": "x/y",
                    "instance_id": "i",
                    "workdir": "/tmp",
                },
                trajectory_path=tmp_path / f"{name}.jsonl",
            )
        )
    finally:
        llm.close()
    assert res.exit_status == "submitted", res


def assistant_turn(call: ScriptedCall) -> list[dict[str, Any]]:
    """The assistant turn's content blocks in a received request."""
    (turn,) = [m for m in call.raw["messages"] if m["role"] == "assistant"]
    blocks: list[dict[str, Any]] = turn["content"]
    return blocks


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_agent_follow_up_after_cache_hit_is_signed(
    stream: bool, sandbox: Any, tmp_path: Path
) -> None:
    extra = {"wire": "anthropic", "stream": stream}
    cached = {"cache": True, "cache_dir": str(tmp_path / "cache"), "extra": extra}
    with ScriptedServer(respond) as srv:
        unroll(srv, sandbox, tmp_path, "live", extra=extra)
        live_follow_up = srv.calls[1]
        unroll(srv, sandbox, tmp_path, "populate", **cached)
        n = len(srv.calls)
        unroll(srv, sandbox, tmp_path, "hit", **cached)
    assert len(srv.calls) == n + 1, "step 1 came from the cache, only the follow-up was sent"
    follow_up = srv.calls[-1]
    assert follow_up.messages[-1].role == "tool" and follow_up.stream == stream
    assert assistant_turn(follow_up)[:2] == [
        {"type": "thinking", "thinking": "look around first, seed 4", "signature": "sig-4"},
        {"type": "redacted_thinking", "data": "opaque-4"},
    ]
    assert assistant_turn(follow_up) == assistant_turn(live_follow_up)


def test_fork_continues_with_the_replayed_turn_signed(sandbox: Any, tmp_path: Path) -> None:
    # A fork replays the recorded reply of step 1 (no model call) and asks the model live
    # from step 2: that request must carry step 1's signed blocks as the live run's did.
    from contextlib import nullcontext

    from agentbench.agent.replay import fork

    extra = {"wire": "anthropic"}
    with ScriptedServer(respond) as srv:
        unroll(srv, sandbox, tmp_path, "live", extra=extra)
        live_follow_up = srv.calls[1]
        n = len(srv.calls)
        llm = make_model(claude(srv, extra=extra))
        try:
            report = fork(
                tmp_path / "live.jsonl",
                1,
                [9],
                llm,
                sandbox_factory=lambda: nullcontext(sandbox),
                out_dir=tmp_path / "forks",
                patch_fn=lambda sb: "",
            )
        finally:
            llm.close()
    assert [r.exit_status for r in report.results] == ["submitted"]
    assert len(srv.calls) == n + 1, "step 1 was replayed, only step 2 was asked live"
    assert assistant_turn(srv.calls[-1]) == assistant_turn(live_follow_up)
    assert assistant_turn(srv.calls[-1])[0]["signature"] == "sig-4"
