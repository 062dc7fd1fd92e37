"""Sandbox latency, each figure beside its baseline measured in the same run on the same image.

    .venv/bin/python bench/sandbox.py [--n 300] [--n-slow 40] [--starts 15]

Trivial command (`true`) through: our persistent shell; `docker exec` via the CLI; the SDK's
`exec_run`; mini-swe-agent's way (a subprocess `docker exec ... bash -lc CMD` per command).
Container start-to-ready + teardown: ours vs `docker run --rm IMAGE true`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def _time(fn: Callable[[], object], n: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    """Run the benchmark and print a table of medians, p95s and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300, help="commands through our shell")
    parser.add_argument("--n-slow", type=int, default=40, help="commands per exec baseline")
    parser.add_argument("--starts", type=int, default=15, help="container starts per method")
    args = parser.parse_args()

    from agentbench.logging import configure
    from agentbench.sandbox.client import docker_client
    from agentbench.sandbox.docker import DockerSandbox
    from agentbench.sandbox.images import ensure_base_image

    configure("WARNING")
    client = docker_client()
    image = ensure_base_image(client)
    run_id = f"bench-{uuid.uuid4().hex[:8]}"
    print(f"image {image}")

    rows: list[tuple[str, list[float]]] = []
    with DockerSandbox(image, run_id=run_id, client=client) as sb:
        cid = sb.id
        rows.append(("ours: persistent shell", _time(lambda: sb.exec("true"), args.n)))
        rows.append(
            (
                "docker exec (CLI)",
                _time(
                    lambda: subprocess.run(["docker", "exec", cid, "true"], check=True), args.n_slow
                ),
            )
        )
        rows.append(
            (
                "SDK exec_run",
                _time(lambda: client.containers.get(cid).exec_run("true"), args.n_slow),
            )
        )
        container = client.containers.get(cid)
        rows.append(
            (
                "SDK exec_run (container cached)",
                _time(lambda: container.exec_run("true"), args.n_slow),
            )
        )
        mini = ["docker", "exec", "-w", "/", cid, "bash", "-lc", "true"]
        rows.append(
            (
                "mini-swe-agent style (docker exec bash -lc)",
                _time(lambda: subprocess.run(mini, check=True, capture_output=True), args.n_slow),
            )
        )

    def ours_start() -> None:
        with DockerSandbox(image, run_id=run_id, client=client) as box:
            box.exec("true")  # ready means: a command has answered

    def docker_run() -> None:
        subprocess.run(["docker", "run", "--rm", image, "true"], check=True)

    starts = [
        ("ours: start-to-ready + teardown", _time(ours_start, args.starts, warmup=2)),
        ("docker run --rm IMAGE true", _time(docker_run, args.starts, warmup=2)),
    ]
    # Split ours into its parts (same method, separate samples).
    ready, down = [], []
    for _ in range(args.starts):
        t0 = time.perf_counter()
        box = DockerSandbox(image, run_id=run_id, client=client)
        box.exec("true")
        t1 = time.perf_counter()
        box.close()
        ready.append(t1 - t0)
        down.append(time.perf_counter() - t1)

    base_cmd = _stats(rows[0][1])[0]
    print(f"\n{'trivial command':46s} {'median ms':>10s} {'p95 ms':>9s} {'x ours':>8s}  n")
    for name, samples in rows:
        med, p95 = _stats(samples)
        print(f"{name:46s} {med:10.3f} {p95:9.3f} {med / base_cmd:8.1f}  {len(samples)}")
    base_run = _stats(starts[1][1])[0]
    print(f"\n{'container lifecycle':46s} {'median ms':>10s} {'p95 ms':>9s} {'/ run --rm':>10s}")
    for name, samples in starts:
        med, p95 = _stats(samples)
        print(f"{name:46s} {med:10.1f} {p95:9.1f} {med / base_run:10.2f}")
    for name, samples in (("  of which start-to-ready", ready), ("  of which teardown", down)):
        med, p95 = _stats(samples)
        print(f"{name:46s} {med:10.1f} {p95:9.1f}")
    ours_cmd = _stats(rows[0][1])[0]
    ratio = _stats(starts[0][1])[0] / base_run
    print(
        f"\ntargets: command median {ours_cmd:.3f} ms (<= 2 ms: {'met' if ours_cmd <= 2 else 'MISSED'}); "
        f"start+teardown {ratio:.2f}x docker run --rm (<= 1.3x: {'met' if ratio <= 1.3 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
