"""Run mc sweeps against the scripted server through the real runner, executor and store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentbench.config import ModelConfig, SystemConfig
from agentbench.servers.scripted import Responder, ScriptedServer
from agentbench.sweep.runner import SweepSummary, run_sweep
from agentbench.sweep.spec import Concurrency, RetryPolicy, SweepSpec


def scripted_system(name: str, base_url: str, **model: Any) -> SystemConfig:
    """A system on the scripted server (OpenAI wire unless model extra says otherwise)."""
    cfg = ModelConfig(provider="scripted", name="scripted-mc", base_url=base_url, **model)
    return SystemConfig(name=name, model=cfg, scaffold="mc")


def run_mc(
    run_dir: Path,
    task_spec: dict[str, Any],
    responder: Responder,
    *,
    seeds: int,
    systems: list[dict[str, Any]] | None = None,
    samples: int = 64,
) -> tuple[SweepSummary, int]:
    """Sweep `task_spec` × systems × seeds; returns the summary and the requests answered."""
    with ScriptedServer(responder) as srv:
        syss = [
            scripted_system(s.get("name", "m"), srv.base_url, **s.get("model", {}))
            for s in (systems or [{"name": "m"}])
        ]
        spec = SweepSpec(
            name="mc-test",
            run_dir=str(run_dir),
            tasks=[task_spec],
            systems=syss,
            seeds=seeds,
            concurrency=Concurrency(samples=samples),
            retry=RetryPolicy(max_attempts=2, backoff_s=0.01),
        )
        summary = run_sweep(spec)
        return summary, len(srv.calls)
