"""One sweep on a three-node Ray cluster (head + two workers, each in its own network namespace),
then the same sweep locally; optionally SIGKILLs one worker's raylet mid-sweep. Prints JSON.

Started by test_ray_multinode.py on the head's namespace, with the run folders on a tmpfs of a
private mount namespace: the workers cannot see them, so every file must come back through Ray.
argv: run root, Ray address, bridge address to bind the scripted model on, then a raylet pid
to kill, `bench:SEEDS` (more seeds, walls timed for bench/sweep.py), or `docker`: the agentbench-tiny suite in Docker sandboxes, then the viewer,
`agentbench replay` and `agentbench sandbox prune` on what the workers ran.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from agentbench.servers.scripted import Reply, ScriptedCall, ScriptedServer
from agentbench.sweep.runner import run_sweep
from agentbench.sweep.spec import validate_spec
from sweep.conftest import CHAT_KIND, system_doc
from sweep.ray_driver import _rows, _shipped, respond


def _node_pids(netns: str) -> list[int]:
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/ns/net") == netns:
                out.append(int(pid))
    return out


def _running_here(netns: str) -> bool:
    for pid in _node_pids(netns):
        with contextlib.suppress(OSError):
            if b"ray::run_on_worker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return True
    return False


def _kill_when_busy(kill_pid: int) -> list[float]:
    """Lose the node of raylet `kill_pid` once a sample is in flight there (in a thread)."""
    killed: list[float] = []

    def killer() -> None:
        netns = os.readlink(f"/proc/{kill_pid}/ns/net")
        while not _running_here(netns):  # a sample is in flight on that node
            time.sleep(0.05)
        time.sleep(0.3)  # inside the model call (each takes 1 s)
        # the node is lost: its raylet first, then every process of its network
        # namespace (Ray's workers there would otherwise finish and report directly)
        os.kill(kill_pid, signal.SIGKILL)
        for pid in _node_pids(netns):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        killed.append(time.time())

    threading.Thread(target=killer, daemon=True).start()
    return killed


def main() -> None:
    """Local sweep, then the Ray sweep (killing a raylet when asked); one JSON line."""
    root, address, host = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    mode = sys.argv[4] if len(sys.argv) > 4 else ""
    kill_pid = int(mode) if mode.isdigit() else None
    seeds = int(mode.split(":")[1]) if mode.startswith("bench:") else 2
    slow = threading.Event()

    def reply(call: ScriptedCall) -> Reply:
        if slow.is_set():
            time.sleep(1.0)  # keep samples in flight long enough to lose a node under them
        return respond(call)

    with ScriptedServer(reply, host=host) as srv:
        doc = {
            "name": "multinode",
            "tasks": [{"kind": CHAT_KIND, "instances": 3}],
            "systems": [system_doc("a", 0.2, srv.base_url), system_doc("b", 0.8, srv.base_url)],
            "seeds": seeds,
            # the local run at the parallelism of the cluster's two 1-CPU workers
            "concurrency": {"samples": 2},
            "retry": {"max_attempts": 4, "backoff_s": 1.0, "backoff_factor": 2.0},
        }
        spec = validate_spec(doc, "multinode_driver")
        t0 = time.perf_counter()
        run_sweep(spec, run_dir=root / "local")
        wall_local = time.perf_counter() - t0
        calls_local = len(srv.calls)
        killed: list[float] = []
        if kill_pid is not None:
            slow.set()

            killed = _kill_when_busy(kill_pid)
        import ray

        ray.init(address=address, include_dashboard=False, log_to_driver=False)
        nodes = [
            {"ip": n["NodeManagerAddress"], "cpus": n["Resources"].get("CPU", 0)}
            for n in ray.nodes()
            if n["Alive"]
        ]
        t0 = time.perf_counter()
        summary = run_sweep(spec, run_dir=root / "ray", executor="ray", ray_address=address)
        wall_ray = time.perf_counter() - t0
        ray.shutdown()
    print(
        json.dumps(
            {
                "local": _rows(root / "local"),
                "ray": _rows(root / "ray"),
                "shipping_problems": _shipped(root / "ray"),
                "nodes": nodes,
                "killed": bool(killed),
                "summary": summary.model_dump(),
                "calls_ray": len(srv.calls) - calls_local,
                "wall_local_s": wall_local,
                "wall_ray_s": wall_ray,
            }
        )
    )


def main_docker() -> None:
    """A Docker sweep on the cluster and locally; viewer, replay and prune on the Ray run."""
    import subprocess

    from analysis.test_scripted_sweep_docker import PLANS, TINY
    from scripted_plans import replies_by_seed

    from agentbench.store.runstore import RunStore
    from agentbench.view import paths
    from agentbench.view.runs import open_runs
    from agentbench.view.site import Site

    root, address, host = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    mode = sys.argv[4]
    kill_pid = int(mode.split(":")[1]) if mode.startswith("docker-kill:") else None
    scripted = replies_by_seed(PLANS)
    slow = threading.Event()

    def reply(call: ScriptedCall) -> Reply:
        if slow.is_set():
            time.sleep(1.0)  # samples stay in flight (their sandboxes up) while the node is lost
        return scripted(call)

    with ScriptedServer(reply, host=host) as srv:
        doc = {
            "name": "multinode-docker",
            "tasks": [{"kind": "swebench", "dataset": str(TINY), "filter": "calc-1"}],
            "systems": [{"name": "scripted", "scaffold": "bash-react",
                         "model": {"provider": "scripted", "name": "s", "base_url": srv.base_url}}],
            "seeds": 4,
            "concurrency": {"samples": 2},
            "retry": {"max_attempts": 4, "backoff_s": 1.0, "backoff_factor": 2.0},
        }  # fmt: skip
        spec = validate_spec(doc, "multinode_driver")
        run_sweep(spec, run_dir=root / "local")
        killed: list[float] = []
        if kill_pid is not None:
            slow.set()
            killed = _kill_when_busy(kill_pid)
        import ray

        ray.init(address=address, include_dashboard=False, log_to_driver=False)
        run_sweep(spec, run_dir=root / "ray", executor="ray", ray_address=address)
        ray.shutdown()
    run = root / "ray"
    site = Site(open_runs([run]))
    pages, replays = {}, {}
    with RunStore.open(run) as store:
        results = list(store.iter_results())
    for r in results:
        page = site.render("/" + paths.trajectory(0, r.key.key))
        pages[r.key.key] = [page.status, "return a * b" in page.body.decode()]
        traj = run / (r.trajectory_path or "-")
        rep = subprocess.run(
            [sys.executable, "-m", "agentbench.cli", "replay", str(traj), "--json"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        replays[r.key.key] = (
            json.loads(rep.stdout) if rep.returncode == 0 else {"error": rep.stderr[-500:]}
        )

    def ours() -> list[str]:
        # this sweep's containers only (other tests may share the engine): a sandbox's run
        # label is its sample's key
        owners = subprocess.run(
            ["docker", "ps", "-a", "--filter", "label=agentbench.run",
             "--format", '{{.Label "agentbench.run"}}'], capture_output=True, text=True,
        ).stdout.split()  # fmt: skip
        keys = {r.key.key for r in results}
        return [o for o in owners if o in keys]

    before = ours()
    prune = subprocess.run(
        [sys.executable, "-m", "agentbench.cli", "sandbox", "prune"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    left = ours()
    print(
        json.dumps(
            {
                "local": _rows(root / "local"),
                "ray": _rows(run),
                "shipping_problems": _shipped(run),
                "pages": pages,
                "replays": {k: {f: v.get(f) for f in ("n_actions", "n_differ", "error")}
                            for k, v in replays.items()},
                "prune_rc": prune.returncode,
                "containers_before_prune": before,
                "containers_left": left,
                "killed": bool(killed),
            }
        )
    )  # fmt: skip


if __name__ == "__main__":
    if sys.argv[4:5] and sys.argv[4].startswith("docker"):
        main_docker()
    else:
        main()
