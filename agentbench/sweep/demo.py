"""The demo's set-up: point its systems at the model the CLI picked (a provider's, else the
embedded SmolLM2), prebuild the task images, summarise the run per system with SQL only."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentbench.records import Record
from agentbench.store.runstore import RunStore
from agentbench.sweep.spec import SWEEPS_DIR, SweepSpec
from agentbench.tasks.base import Task
from agentbench.tasks.registry import make_task

# model.extra keys only the embedded llama.cpp server understands (a provider would refuse them)
LOCAL_ONLY_EXTRA = ("grammar",)


def demo_spec_path() -> Path:
    """The bundled sweeps/demo.yaml (package data)."""
    return SWEEPS_DIR / "demo.yaml"


def with_model(spec: SweepSpec, remote: tuple[str, str] | None, base_url: str | None) -> SweepSpec:
    """The spec with every system switched to `remote` (provider, model name; None: keep the
    local model, served at `base_url` if given)."""
    systems = []
    for s in spec.systems:
        m = s.model
        if remote is not None:
            provider, name = remote
            extra = {k: v for k, v in m.extra.items() if k not in LOCAL_ONLY_EXTRA}
            m = m.model_copy(
                update={"provider": provider, "name": name, "base_url": None, "extra": extra}
            )
        elif base_url is not None:
            m = m.model_copy(update={"base_url": base_url})
        systems.append(s.model_copy(update={"model": m}))
    return spec.model_copy(update={"systems": systems})


def prebuild(spec: SweepSpec, on_image: Callable[[str], None]) -> Callable[[dict[str, Any]], Task]:
    """Build each task and its instance images now; returns a factory that hands them out."""
    built: dict[str, Task] = {}
    for ts in spec.tasks:
        task = make_task(ts)
        task.prepare(on_image)
        built[json.dumps(ts, sort_keys=True)] = task
    return lambda ts: built[json.dumps(ts, sort_keys=True)]


class SystemSummary(Record):
    """One system's line in the demo's summary."""

    name: str
    samples: int
    done: int
    missing: int
    resolved: int
    mean_actions: float | None


def summarise(run_dir: Path) -> list[SystemSummary]:
    """Per-system counts from the store."""
    out = []
    with RunStore.open(run_dir) as store:
        for s in store.systems():
            done = store.count(system=s.hash, status="done")
            mean = None
            if done:
                acts = [r.n_actions for r in store.iter_results(system=s.hash, status="done")]
                mean = sum(acts) / len(acts)
            out.append(
                SystemSummary(
                    name=s.name,
                    samples=s.n_samples,
                    done=done,
                    missing=store.count(system=s.hash, status="missing"),
                    resolved=store.count(system=s.hash, resolved=True),
                    mean_actions=mean,
                )
            )
    return out
