"""A real three-node Ray cluster on one machine (root only): a head and two worker nodes, each in
its own network namespace joined by veth pairs to a bridge in a fourth namespace (10.77.0.0/24,
created here and deleted after), each worker with a private tmpfs working directory. Used by
test_ray_multinode.py and bench/sweep.py --part ray."""

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

TESTS_DIR = Path(__file__).resolve().parent.parent

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


def unavailable() -> str | None:
    """Why this machine cannot build the cluster (None: it can)."""
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("unshare") is None:
        return "needs root, ip netns and unshare to build a private multi-node network"
    if _sh("ip netns list", check=False).returncode != 0:
        return "no network namespaces here"
    return None


@contextlib.contextmanager
def cluster(log_dir: Path) -> Iterator[dict[str, int]]:
    """Head (0 CPUs: samples run on workers only) and two workers; yields raylet pids."""
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
                    stderr=open(log_dir / f"{ns}.log", "wb"),  # noqa: SIM115
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


def drive(*extra: str) -> dict:
    """Run multinode_driver on the head's namespace, its run folders private to it; its JSON."""
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
    if proc.returncode != 0:
        raise AssertionError(proc.stderr.decode()[-3000:])
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])
