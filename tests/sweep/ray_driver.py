"""Run one ChatTask sweep through the local and the Ray executor; print both as JSON.

Started by test_ray.py inside a private network namespace (Ray then binds loopback only),
with the scripted model server started here, inside the same namespace.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from agentbench.servers.scripted import Reply, ScriptedCall, ScriptedServer
from agentbench.sweep.runner import run_sweep
from agentbench.sweep.spec import validate_spec
from agentbench.sweep.store import RunStore
from sweep.conftest import CHAT_KIND, system_doc
from sweep.sweeptasks import scripted_answer


def respond(call: ScriptedCall) -> Reply:
    """Answer by (instance, seed, temperature) so both executors must agree."""
    msg = call.last("user")
    assert msg is not None
    inst = msg.content.split()[1].rstrip(":")
    return Reply(
        text=f"The answer is {scripted_answer(inst, call.seed, call.raw.get('temperature'))}"
    )


def _shipped(run: Path) -> list[str]:
    """Problems with the trajectories a run recorded (empty when all are in the run folder)."""
    bad = []
    with RunStore.open(run) as store:
        for r in store.iter_results():
            p = run / (r.trajectory_path or "-")
            if not p.is_file() or p.stat().st_size == 0:
                bad.append(f"{r.key.key}: no trajectory at {p}")
    bad += [str(p) for p in run.rglob(".*.ship-*")]  # temp files of a transfer
    return bad


def _rows(run: Path) -> dict[str, Any]:
    with RunStore.open(run) as store:
        return {
            r.key.key: [r.status.value, r.outcome.model_dump() if r.outcome else None, r.attempts]
            for r in store.iter_results()
        }


def main() -> None:
    """Both sweeps, then one JSON line on stdout."""
    root = Path(sys.argv[1])
    with ScriptedServer(respond) as srv:
        doc = {
            "name": "ray-vs-local",
            "tasks": [{"kind": CHAT_KIND, "instances": 3}],
            "systems": [system_doc("a", 0.2, srv.base_url), system_doc("b", 0.8, srv.base_url)],
            "seeds": 3,
            "concurrency": {"samples": 4},
        }
        spec = validate_spec(doc, "ray_driver")
        local = run_sweep(spec, run_dir=root / "local")
        from agentbench.sweep.ray_exec import RayRunner

        pids: set[int] = set()
        orig_close = RayRunner.close

        def close(self: RayRunner) -> None:
            pids.update(self.worker_pids)
            orig_close(self)

        RayRunner.close = close  # type: ignore[method-assign]
        ray = run_sweep(
            spec, run_dir=root / "ray", executor="ray", ray_num_cpus=2, ray_cpus_per_sample=0.5
        )
        again = run_sweep(spec, run_dir=root / "ray", executor="ray", ray_num_cpus=2)
    print(
        json.dumps(
            {
                "local": _rows(root / "local"),
                "ray": _rows(root / "ray"),
                "ray_shipping_problems": _shipped(root / "ray"),
                "summaries": [local.model_dump(), ray.model_dump(), again.model_dump()],
                "driver_pid": os.getpid(),
                "worker_pids": sorted(pids),
                "calls": len(srv.calls),
            }
        )
    )


if __name__ == "__main__":
    main()
