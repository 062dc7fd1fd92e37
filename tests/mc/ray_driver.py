"""Run one mc sweep through the local and the Ray executor; print both as one JSON line.

Started by test_ray.py inside a private network namespace (Ray then binds loopback only),
with the scripted model server started here, inside the same namespace.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from agentbench.servers.scripted import ScriptedServer
from agentbench.store.runstore import RunStore
from agentbench.sweep.runner import run_sweep
from agentbench.sweep.spec import validate_spec
from agentbench.tasks.mc import MCTask
from agentbench.tasks.mc.scripted import KnownDistributionResponder, difficulty_truth

TASK = {"kind": "mc", "name": "arith", "dataset": {"n": 2, "difficulty": [1, 3]},
        "contexts": 2, "shots": 1, "shuffle": True}  # fmt: skip


def _rows(run: Path) -> dict[str, Any]:
    with RunStore.open(run) as store:
        return {
            r.key.key: [r.status.value, r.outcome.model_dump() if r.outcome else None, r.length]
            for r in store.iter_results()
        }


def main() -> None:
    """Both sweeps, then one JSON line on stdout."""
    root = Path(sys.argv[1])
    task = MCTask.from_spec(TASK)
    dist, length = difficulty_truth(task)
    with ScriptedServer(KnownDistributionResponder(task, dist, length=length)) as srv:
        doc = {
            "name": "mc-ray-vs-local",
            "tasks": [TASK],
            "systems": [{"name": "m", "scaffold": "mc", "model": {
                "provider": "scripted", "name": "scripted-mc", "base_url": srv.base_url}}],
            "seeds": 4,
            "concurrency": {"samples": 4},
        }  # fmt: skip
        spec = validate_spec(doc, "mc ray_driver")
        run_sweep(spec, run_dir=root / "local")
        ray = run_sweep(
            spec, run_dir=root / "ray", executor="ray", ray_num_cpus=2, ray_cpus_per_sample=0.5
        )
    print(json.dumps({"local": _rows(root / "local"), "ray": _rows(root / "ray"),
                      "ray_summary": ray.model_dump(), "calls": len(srv.calls)}))  # fmt: skip


if __name__ == "__main__":
    main()
