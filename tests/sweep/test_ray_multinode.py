"""A sweep on a real three-node Ray cluster on one machine: a head and two worker nodes, each in
its own network namespace joined by veth pairs to a bridge in a fourth namespace (10.77.0.0/24,
created here and deleted after), each worker with a private tmpfs working directory, the driver's run folder on
a tmpfs only the head's mount namespace sees. Every file must reach the driver through Ray."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import TESTS_DIR

pytestmark = [pytest.mark.ray, pytest.mark.slow]

BR = "abr77"
NODES = {"abhead": "10.77.0.2", "abw1": "10.77.0.3", "abw2": "10.77.0.4"}
HEAD = f"{NODES['abhead']}:6379"
RAY = str(Path(sys.executable).with_name("ray"))


def _private_mounts(ns: str) -> list[str]:
    return ["ip", "netns", "exec", ns, "unshare", "-m", "--propagation", "private"]


def _sh(cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", "-c", cmd], check=check, capture_output=True, text=True)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join([str(TESTS_DIR), env.get("PYTHONPATH", "")]),
        RAY_USAGE_STATS_ENABLED="0",
        RAY_AUTH_MODE="disabled",
    )
    return env


def _teardown(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:  # each node's `ray start --block` runs in its own session
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, 9)
        p.wait(timeout=30)
    for ns in NODES:
        _sh(f"ip netns pids {ns} 2>/dev/null | xargs -r kill -9", check=False)
        _sh(f"ip netns del {ns}", check=False)
    _sh(f"ip netns del {BR}", check=False)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[dict[str, int]]:
    """Head (0 CPUs: samples run on workers only) and two workers; yields raylet pids."""
    pytest.importorskip("ray")
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("unshare") is None:
        pytest.skip("needs root, ip netns and unshare to build a private multi-node network")
    if _sh("ip netns list", check=False).returncode != 0:
        pytest.skip("no network namespaces here")
    procs: list[subprocess.Popen[bytes]] = []
    _teardown(procs)  # what a killed earlier run left
    short = Path(tempfile.mkdtemp(prefix="abmn", dir="/tmp"))  # Ray's sockets: <108 bytes
    try:
        # the bridge lives in a namespace of its own: the host's firewall (Docker's FORWARD
        # policy) never sees this traffic, and nothing here touches the host's network
        _sh(f"ip netns add {BR} && ip -n {BR} link add {BR} type bridge")
        _sh(f"ip -n {BR} link set {BR} up")
        for i, (ns, ip) in enumerate(NODES.items()):
            _sh(f"ip netns add {ns} && ip -n {BR} link add ab{i}h type veth peer name ab{i}n")
            _sh(
                f"ip -n {BR} link set ab{i}h master {BR} up && ip -n {BR} link set ab{i}n netns {ns}"
            )
            _sh(
                f"ip -n {ns} addr add {ip}/24 dev ab{i}n && ip -n {ns} link set ab{i}n up"
                f" && ip -n {ns} link set lo up"
            )
        env = _env()
        for ns, ip in NODES.items():
            priv = short / ns
            priv.mkdir()
            role = (
                "--head --port 6379 --num-cpus 0 --include-dashboard false"
                if ns == "abhead"
                else f"--address {HEAD} --num-cpus 1"
            )
            # workers: a private mount namespace with a tmpfs, so their files are their own;
            # the head's session folder stays visible (the driver runs on the head node)
            mount = "" if ns == "abhead" else f"mount -t tmpfs none {priv} && "
            cmd = (
                f"{mount}export TMPDIR={priv} && exec {RAY} start "
                f"{role} --node-ip-address {ip} --temp-dir {priv}/ray --block --disable-usage-stats"
            )
            procs.append(
                subprocess.Popen(
                    [*_private_mounts(ns), "sh", "-c", cmd],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=open(tmp_path / f"{ns}.log", "wb"),  # noqa: SIM115
                    start_new_session=True,
                )
            )
            if ns == "abhead":
                _wait_nodes(1)
        _wait_nodes(3)
        raylets = {}
        for ns in ("abw1", "abw2"):
            pids = _sh(f"ip netns pids {ns}").stdout.split()
            for pid in pids:
                if Path(f"/proc/{pid}/comm").read_text().strip() == "raylet":
                    raylets[ns] = int(pid)
        yield raylets
    finally:
        _teardown(procs)
        for ns in NODES:
            _sh(f"umount -l {short / ns}", check=False)
        shutil.rmtree(short, ignore_errors=True)


def _wait_nodes(n: int, timeout_s: float = 120) -> None:
    code = f"import ray; ray.init(address='{HEAD}'); print(sum(x['Alive'] for x in ray.nodes()))"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        out = subprocess.run(
            ["ip", "netns", "exec", "abhead", sys.executable, "-c", code],
            env=_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        if out.returncode == 0 and out.stdout.strip().splitlines()[-1:] == [str(n)]:
            return
        time.sleep(1)
    raise AssertionError(f"the Ray cluster never had {n} nodes alive")


def _drive(tmp_path: Path, *extra: str) -> dict:
    runs = Path(tempfile.mkdtemp(prefix="abrun", dir="/tmp"))
    cmd = (
        f"mount -t tmpfs none {runs} && exec {sys.executable} -m sweep.multinode_driver "
        f"{runs} {HEAD} {NODES['abhead']} {' '.join(extra)}"
    )
    proc = subprocess.run(
        [*_private_mounts("abhead"), "sh", "-c", cmd],
        env=_env(),
        cwd=TESTS_DIR,
        capture_output=True,
        timeout=240,
    )
    shutil.rmtree(runs, ignore_errors=True)  # the tmpfs went with the driver's mount namespace
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


def test_multinode_sweep_ships_everything(cluster: dict[str, int], tmp_path: Path) -> None:
    res = _drive(tmp_path)
    assert sorted((n["ip"], n["cpus"]) for n in res["nodes"]) == [
        ("10.77.0.2", 0),  # the head takes no samples: all ran on the two workers
        ("10.77.0.3", 1),
        ("10.77.0.4", 1),
    ]
    assert len(res["local"]) == 12
    assert res["ray"] == res["local"]  # same keys, statuses, outcomes, attempts
    assert res["shipping_problems"] == []  # every trajectory is in the driver's run folder
    assert res["calls_ray"] == 12


def test_lost_worker_node_loses_nothing(cluster: dict[str, int], tmp_path: Path) -> None:
    res = _drive(tmp_path, str(cluster["abw1"]))
    assert res["killed"]
    ray_rows, local_rows = res["ray"], res["local"]
    assert sorted(ray_rows) == sorted(local_rows)  # 0 samples lost
    assert all(v[0] == "done" for v in ray_rows.values())
    # same outcomes; the samples cut off on the lost node took more than one attempt
    assert {k: v[1] for k, v in ray_rows.items()} == {k: v[1] for k, v in local_rows.items()}
    attempts = {k: v[2] for k, v in ray_rows.items()}
    assert max(attempts.values()) > 1  # the samples cut off on the lost node were retried
    # 0 run twice: at most one model call per attempt (the cut-off attempt may have died
    # before its call), one record per sample, and only the cut-off samples were repeated
    assert 12 <= res["calls_ray"] <= sum(attempts.values())
    assert res["shipping_problems"] == []


@pytest.mark.docker
def test_docker_samples_run_on_workers_can_be_viewed_replayed_and_pruned(
    cluster: dict[str, int], tmp_path: Path, base_image: str
) -> None:
    res = _drive(tmp_path, "docker")

    def vectors(rows: dict) -> dict:  # grading times and log excerpts differ run to run
        return {k: (v[0], v[1]["passed"], v[1]["resolved"]) for k, v in rows.items()}

    assert len(res["local"]) == 4 and vectors(res["ray"]) == vectors(res["local"])
    assert res["shipping_problems"] == []
    # every trajectory page renders from the driver's folder; the fixing seeds show their sed
    assert {k: v[0] for k, v in res["pages"].items()} == dict.fromkeys(res["local"], 200)
    assert sum(v[1] for v in res["pages"].values()) == 3  # seeds 0, 2, 3 ran the fix
    # replay re-runs each recorded action in a fresh sandbox here: same observations
    assert all(r["error"] is None and r["n_differ"] == 0 for r in res["replays"].values()), res
    assert sorted(r["n_actions"] for r in res["replays"].values()) == [0, 1, 1, 2]
    assert res["prune_rc"] == 0 and res["containers_left"] == []
