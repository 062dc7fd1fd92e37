"""Seconds per grading (image cached) on the agentbench-mini suite, beside swebench's run_instance.

Both graders get the same instance image, the same gold patch and the same eval script
(swebench's TestSpec built by agentbench), in the same run:

  agentbench   tasks.swebench.grading.grade: one fresh container whose main process is the
               grading script; killed and removed at the end (no graceful stop)
  swebench     swebench.harness.run_evaluation.run_instance: container + exec + `docker stop`
               (the graceful stop waits for its timeout) + remove

Reports the median seconds per grading per instance, the ratio swebench / agentbench, and
checks that both graders agree on "resolved".

Run: .venv/bin/python bench/grading.py [--reps 3] [--sb-instances 2]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator

from agentbench.tasks.swebench import grading
from agentbench.tasks.swebench.task import SWEBenchTask


@contextlib.contextmanager
def _cwd(path: str) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)  # run_instance writes logs/ under the working directory
    try:
        yield
    finally:
        os.chdir(old)


def _swebench_once(task: SWEBenchTask, iid: str) -> tuple[float, bool]:
    import docker
    from swebench.harness.run_evaluation import run_instance

    inst = task.instance(iid)
    spec = grading.make_test_spec(inst, task.image(inst), task.dataset.suite)
    pred = {"instance_id": iid, "model_name_or_path": "gold", "model_patch": inst.patch}
    client = docker.from_env(timeout=600)
    with tempfile.TemporaryDirectory(prefix="sb-bench-") as tmp, _cwd(tmp):
        t0 = time.perf_counter()
        res = run_instance(spec, pred, client, f"bench-{uuid.uuid4().hex[:8]}", timeout=600)
        dt = time.perf_counter() - t0
    resolved = bool(res and res[1][iid]["resolved"])
    return dt, resolved


_PYTEST_TIME = re.compile(r" in (\d+\.\d+)s")


def _ours_once(task: SWEBenchTask, iid: str) -> tuple[float, bool, float]:
    inst = task.instance(iid)
    t0 = time.perf_counter()
    out = grading.grade(inst, inst.patch, image=task.image(inst), suite=task.dataset.suite)
    m = _PYTEST_TIME.findall(out.log_excerpt)
    return time.perf_counter() - t0, out.resolved, float(m[-1]) if m else float("nan")


def _container_floor(image: str, n: int = 3) -> float:
    """Median seconds of `docker run --rm IMAGE true`: the floor of any fresh-container grading."""
    from agentbench.sandbox.client import docker_client

    cl = docker_client()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        cl.containers.run(image, ["true"], remove=True, network_disabled=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    """Run the comparison and print one table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", default="agentbench-mini")
    ap.add_argument("--reps", type=int, default=3, help="agentbench gradings per instance")
    ap.add_argument("--sb-reps", type=int, default=1, help="swebench gradings per instance")
    ap.add_argument(
        "--sb-instances", type=int, default=2, help="instances also graded by swebench (≈16 s each)"
    )
    args = ap.parse_args()

    from agentbench.logging import configure

    configure("WARNING")
    task = SWEBenchTask.from_spec({"kind": "swebench", "dataset": args.suite})
    t0 = time.perf_counter()
    for inst in task.instances:
        task.image(inst)  # build/cache first: grading time excludes image builds
    print(f"images ready for {len(task.instances)} instances in {time.perf_counter() - t0:.1f} s")
    floor = _container_floor(task.image(task.instances[0]))
    print(f"baseline: docker run --rm IMAGE true = {floor:.2f} s (median of 3)")

    ours_all: list[float] = []
    sb_all: list[float] = []
    print(
        f"{'instance':<14}{'pytest s':>9}{'agentbench s':>14}{'swebench s':>12}{'ratio':>8}"
        "  resolved (ab/sb)"
    )
    for n, inst in enumerate(task.instances):
        iid = inst.instance_id
        ours = [_ours_once(task, iid) for _ in range(args.reps)]
        o_med = statistics.median(t for t, _, _ in ours)
        p_med = statistics.median(p for _, _, p in ours)
        ours_all += [t for t, _, _ in ours]
        o_res = all(r for _, r, _ in ours)
        if n < args.sb_instances:
            sb = [_swebench_once(task, iid) for _ in range(args.sb_reps)]
            s_med = statistics.median(t for t, _ in sb)
            sb_all += [t for t, _ in sb]
            s_res = all(r for _, r in sb)
            print(
                f"{iid:<14}{p_med:>9.2f}{o_med:>14.2f}{s_med:>12.2f}{s_med / o_med:>7.1f}x"
                f"  {o_res}/{s_res}"
            )
        else:
            print(f"{iid:<14}{p_med:>9.2f}{o_med:>14.2f}{'-':>12}{'-':>8}  {o_res}/-")
    o = statistics.median(ours_all)
    line = f"median per grading: agentbench {o:.2f} s over {len(ours_all)} gradings"
    if sb_all:
        s = statistics.median(sb_all)
        line += f"; swebench run_instance {s:.2f} s over {len(sb_all)}; ratio {s / o:.1f}x"
    print(line)


if __name__ == "__main__":
    main()
