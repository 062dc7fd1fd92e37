"""Viewer page speed on a 100,000-sample run store, beside reading the whole store into memory.

Builds a synthetic run (bench/synthetic_store.py: 2 systems × 500 instances × 100
seeds), writes real trajectory files for the 100 seeds of one instance, serves it with the
viewer's server on 127.0.0.1, and times (medians of --reps):

  ttfb / full   over HTTP (http.client): until the status line, until the last body byte
  browser       in headless Chromium (if Playwright and /usr/bin/chromium are present):
                navigation timing responseStart and loadEventEnd
  baseline      RunStore.iter_results() over every sample (the whole store in memory),
                and analysis.load_run (the report's column load)

  export        (--export) the whole static export of the run, pages and size

    .venv/bin/python bench/view.py [--reps 7] [--keep DIR] [--export]
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synthetic_store import fill_synthetic_store  # bench/ (the script folder is on sys.path)

from agentbench.logging import configure
from agentbench.records import (
    ActionEvent,
    EndEvent,
    ExecResult,
    Message,
    ModelCallEvent,
    ModelResponse,
    ObservationEvent,
    SampleResult,
    StartEvent,
    Usage,
)
from agentbench.store.runstore import RunStore
from agentbench.store.schema import TRAJECTORY_DIR
from agentbench.trajectory import TrajectoryWriter
from agentbench.view import paths
from agentbench.view.runs import open_runs
from agentbench.view.server import ViewServer
from agentbench.view.site import Site

INSTANCE = "inst-00007"
STEPS = 30
PATCH = (
    "diff --git a/src/mod.py b/src/mod.py\n--- a/src/mod.py\n+++ b/src/mod.py\n"
    "@@ -10,3 +10,3 @@\n def f(x):\n-    return x\n+    return x + {n}\n"
)


def write_trajectory(path: Path, r: SampleResult) -> None:
    """A 30-step trajectory with outputs of 3 to 300 lines (some folded on the page)."""
    t0 = 1_000.0
    seed = r.key.seed
    with TrajectoryWriter(path, fsync=False) as w:
        w.write(
            StartEvent(
                key=r.key,
                messages=[
                    Message(role="system", content="You are an engineer. Use bash. " * 20),
                    Message(role="user", content="Fix the failing test.\n" * 40),
                ],
                t=t0,
            )
        )
        for n in range(STEPS):
            t = t0 + 3 * n
            cmd = f"grep -rn pattern_{(seed * n) % 7} src/ | head -{n + 3}"
            w.write(
                ModelCallEvent(
                    step=n,
                    request_hash=f"h{n}",
                    response=ModelResponse(
                        text=f"Looking at step {n}. " * 10,
                        reasoning="Thinking it through. " * 40 if n % 3 == 0 else None,
                        usage=Usage(input_tokens=2000 + 300 * n, output_tokens=120),
                        cost_usd=0.002,
                        latency_s=1.2,
                    ),
                    t=t,
                )
            )
            w.write(ActionEvent(step=n, tool="bash", arguments={"command": cmd}, t=t + 1))
            out = "\n".join(
                f"src/file_{i}.py:{i * 3}: match {i}" for i in range(3 + (n * 37) % 300)
            )
            w.write(
                ObservationEvent(
                    step=n,
                    result=ExecResult(exit_code=0, output=out, duration_s=0.08),
                    message=Message(role="tool", content=out),
                    t=t + 2,
                )
            )
        w.write(
            EndEvent(
                exit_status="submitted",
                patch=PATCH.format(n=seed % 4),
                n_actions=STEPS,
                n_messages=2 + 2 * STEPS,
                usage=Usage(input_tokens=190_000, output_tokens=3600),
                cost_usd=0.06,
                wall_s=95.0,
                t=t0 + 95,
            )
        )


def build(run_dir: Path) -> tuple[str, str]:
    """The 100k-sample store plus trajectories for one instance; returns (system hash, key)."""
    t = time.perf_counter()
    n = fill_synthetic_store(run_dir, n_systems=2, n_instances=500, n_seeds=100)
    print(f"store: {n:,} samples in {time.perf_counter() - t:.1f} s")
    with RunStore.open(run_dir) as store:
        h = store.systems()[0].hash
        rows = list(store.iter_results(system_hash=h, task="synthetic", instance_id=INSTANCE))
        updated = []
        for r in rows:
            rel = f"{TRAJECTORY_DIR}/{r.key.key}.jsonl"
            write_trajectory(run_dir / rel, r)
            updated.append(r.model_copy(update={"trajectory_path": rel}))
        store.put_many(updated)
        key = next(r.key.key for r in updated if r.status.value == "done")
    size = (run_dir / f"{TRAJECTORY_DIR}/{key}.jsonl").stat().st_size
    print(f"trajectories: {len(updated)} files of {STEPS} steps (~{size / 1024:.0f} KiB each)")
    return h, key


def median_of(reps: int, fn: Callable[[], Any]) -> float:
    """Median wall time of `fn` over `reps` runs, in seconds."""
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def http_times(port: int, path: str, reps: int) -> tuple[float, float, int]:
    """Median time to first byte and to the last byte of one page, and its size."""
    ttfb, full, size = [], [], 0
    for _ in range(reps):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        t = time.perf_counter()
        conn.request("GET", "/" + path)
        resp = conn.getresponse()  # returns once the status line and headers arrived
        t1 = time.perf_counter()
        body = resp.read()
        t2 = time.perf_counter()
        conn.close()
        assert resp.status == 200, (path, resp.status, body[-300:])
        ttfb.append(t1 - t)
        full.append(t2 - t)
        size = len(body)
    return statistics.median(ttfb), statistics.median(full), size


def browser_times(url: str, pages: dict[str, str], reps: int) -> dict[str, tuple[float, float]]:
    """Median responseStart and loadEventEnd (s) per page in headless Chromium, if present."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {}
    if not Path("/usr/bin/chromium").exists():
        return {}
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
    out: dict[str, tuple[float, float]] = {}
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = b.new_page()
        for name, path in pages.items():
            first, load = [], []
            for _ in range(reps):
                page.goto(url + path, wait_until="load")
                nav = page.evaluate(
                    "() => { const n = performance.getEntriesByType('navigation')[0];"
                    " return [n.responseStart - n.startTime, n.loadEventEnd - n.startTime]; }"
                )
                first.append(nav[0] / 1000)
                load.append(nav[1] / 1000)
            out[name] = (statistics.median(first), statistics.median(load))
        b.close()
    return out


def main() -> None:
    """Build, serve, time, print."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--keep", type=Path, default=None, help="build the run here and keep it")
    ap.add_argument("--export", action="store_true", help="also time the static export")
    a = ap.parse_args()
    configure("WARNING")
    tmp = Path(tempfile.mkdtemp(prefix="bench-view-"))
    run_dir = (a.keep or tmp) / "run"
    try:
        h, key = build(run_dir)
        runs = open_runs([run_dir])
        site = Site(runs)
        server = ViewServer(site, port=0).start()
        port = int(server.server_address[1])
        pages = {
            "instance page (100 seeds)": paths.instance(0, h, "synthetic", INSTANCE),
            "trajectory page (30 steps)": paths.trajectory(0, key),
            "divergence page (100 seeds)": paths.divergence(0, h, "synthetic", INSTANCE),
            "system page (500 instances)": paths.system(0, h),
        }
        # the plot parses every outcome of the run: time its first (uncached) view apart
        t = time.perf_counter()
        http_times(port, paths.plot(0), 1)
        plot_first = time.perf_counter() - t
        for p in pages.values():
            http_times(port, p, 1)  # warm the page's code path and the OS file cache
        print(f"\nHTTP, medians of {a.reps} (server on 127.0.0.1, 100,000 samples):")
        results = {}
        for name, p in pages.items():
            ttfb, full, size = http_times(port, p, a.reps)
            results[name] = full
            print(f"  {name:30s} first byte {ttfb * 1e3:7.1f} ms   full {full * 1e3:7.1f} ms"
                  f"   ({size / 1024:.0f} KiB)")  # fmt: skip
        ttfb, full, _ = http_times(port, paths.plot(0), a.reps)
        print(f"  {'plot page (cached curves)':30s} first byte {ttfb * 1e3:7.1f} ms   full "
              f"{full * 1e3:7.1f} ms   (first, uncached view: {plot_first * 1e3:.0f} ms)")  # fmt: skip
        bt = browser_times(server.url, dict(list(pages.items())[:2]), a.reps)
        if bt:
            print(f"\nheadless Chromium, medians of {a.reps} (navigation timing):")
            for name, (first, load) in bt.items():
                print(
                    f"  {name:30s} responseStart {first * 1e3:7.1f} ms   loadEventEnd {load * 1e3:7.1f} ms"
                )
        server.stop()
        for r in runs:
            r.close()

        def whole_store() -> None:
            with RunStore.open(run_dir) as s:
                assert sum(1 for _ in s.iter_results()) == 100_000

        def report_load() -> None:
            from agentbench.analysis.load import load_run

            load_run(run_dir)

        base_reps = max(1, min(3, a.reps))
        whole = median_of(base_reps, whole_store)
        cols = median_of(base_reps, report_load)
        print(f"\nbaseline, medians of {base_reps}: whole store into memory")
        print(f"  RunStore.iter_results() over all 100,000 samples   {whole * 1e3:8.1f} ms")
        print(f"  analysis.load_run (column arrays, the report's)    {cols * 1e3:8.1f} ms")
        print("\nratios (baseline / page full load):")
        for name in list(pages)[:2]:
            print(f"  {name:30s} {whole / results[name]:6.1f}x faster than iter_results, "
                  f"{cols / results[name]:5.1f}x faster than load_run")  # fmt: skip
        if a.export:
            from agentbench.view.export import export_site

            runs = open_runs([run_dir])
            t = time.perf_counter()
            res = export_site(Site(runs), run_dir.parent / "export")
            dt = time.perf_counter() - t
            size = sum(f.stat().st_size for f in res.out_dir.rglob("*.html"))
            print(f"\nstatic export: {res.n_pages:,} pages, {size / 2**20:.0f} MiB in {dt:.1f} s "
                  f"({dt / res.n_pages * 1e3:.1f} ms/page; {len(res.errors)} error pages)")  # fmt: skip
            for r in runs:
                r.close()
        worst = max(results[n] for n in list(pages)[:2])
        print(f"\ntarget: instance and trajectory pages under 1 s: "
              f"{'met' if worst < 1.0 else 'NOT met'} (slowest {worst * 1e3:.0f} ms)")  # fmt: skip
    finally:
        if a.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
