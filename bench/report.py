"""`agentbench report` speed on a run store of 100,000 samples, beside baselines in the same run.

Run: .venv/bin/python bench/report.py [--repeats N] [--store DIR]
The store: 2 systems x 500 instances x 100 seeds, 6 tests each, 1% MISSING
(bench/synthetic_store.py). Figures (medians of interleaved repeats):
- ours: build_report (load, arrange, nested bootstrap of every system, length group and
  half) + write_report (3 PNG plots, JSON, one HTML), at the default settings;
  the same with question-only bootstrap (--no-nested), and stage by stage;
- baseline "row loop": read the store row by row as SampleResult records (RunStore.iter_results)
  and decompose per instance in plain Python (no intervals at all);
- baseline "table": samples_frame + the metrics core's generic long-table entry point
  (decompose_table with groups and halves), at the same bootstrap draws as ours.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core: the figure then reads as CPU time
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from synthetic_store import fill_synthetic_store  # bench/ (the script folder is on sys.path)

from agentbench.analysis.arrange import arrange
from agentbench.analysis.build import build_report
from agentbench.analysis.load import load_run
from agentbench.analysis.write import write_report
from agentbench.metrics import decompose_table
from agentbench.records import TestOutcome
from agentbench.store.export import samples_frame
from agentbench.store.runstore import RunStore

N_INSTANCES, N_SEEDS, N_SYSTEMS = 500, 100, 2


def ours(run: Path, out: Path, **kw: object) -> float:
    """build_report + write_report; returns the first system's incoherence."""
    rep = build_report(run, **kw)  # type: ignore[arg-type]
    write_report(rep, out)
    return rep.systems[0].overall.incoherence.estimate


def row_loop(run: Path) -> float:
    """Every row as a record, then per-instance sums in Python; the first system's incoherence."""
    cells: dict[tuple[str, str], list[list[bool]]] = defaultdict(list)
    with RunStore.open(run) as store:
        for r in store.iter_results(status="done"):
            if isinstance(r.outcome, TestOutcome):
                cells[(r.key.system, r.key.instance_id)].append(r.outcome.passed)
    var: dict[str, float] = defaultdict(float)
    err: dict[str, float] = defaultdict(float)
    for (system, _), runs in cells.items():
        n_r, n_t = len(runs), len(runs[0])
        for j in range(n_t):
            y = sum(run[j] for run in runs) / n_r
            var[system] += y * (1 - y) / n_t
            err[system] += (1 - y) / n_t
    first = sorted(var)[0]
    return var[first] / err[first]


def table_path(run: Path, n_boot: int) -> float:
    """The generic path: the store as a DataFrame, outcomes parsed, decompose_table."""
    import json

    with RunStore.open(run) as store:
        df = samples_frame(store, status="done")
    df["tests"] = [json.loads(o)["passed"] for o in df["outcome"]]
    df["len"] = df["length"].astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = decompose_table(
            df, kind="tests", groups=5, median_halves=True, n_boot=n_boot,
            columns={"question": "instance_id", "system": "system_name", "outcome": "tests",
                     "length": "len"},
        )  # fmt: skip
    row = res[(res["group"] == "all") & (res["half"] == "all")].iloc[0]
    return float(row["incoherence"])


def stages(run: Path) -> dict[str, float]:
    """CPU seconds per stage of one default report."""
    from agentbench.analysis.html import render_html
    from agentbench.analysis.plots import report_plots

    t = {}
    t0 = time.process_time()
    data = load_run(run)
    t["load (SQL + JSON)"] = time.process_time() - t0
    s = data.by_kind["tests"]
    t0 = time.process_time()
    for h in set(s.system_hash.tolist()):
        arrange(s, (s.system_hash == h).nonzero()[0])
    t["arrange (per system)"] = time.process_time() - t0
    t0 = time.process_time()
    rep = build_report(run)
    t["build_report total"] = time.process_time() - t0
    t0 = time.process_time()
    pngs = report_plots(rep)
    t["plots (3 PNG)"] = time.process_time() - t0
    t0 = time.process_time()
    render_html(rep, pngs)
    t["html"] = time.process_time() - t0
    return t


def timed(fns: dict[str, Callable[[], float]], repeats: dict[str, int]) -> dict[str, list[float]]:
    """Interleaved repeats so that a change in machine load hits every variant alike.

    Prints the median wall time and the median CPU time of this process: on a shared,
    loaded machine the CPU time is what the same run takes on an idle core.
    """
    times: dict[str, list[float]] = {k: [] for k in fns}
    cpu: dict[str, list[float]] = {k: [] for k in fns}
    values: dict[str, float] = {}
    for i in range(max(repeats.values())):
        for k, fn in fns.items():
            if i < repeats[k]:
                t0, c0 = time.perf_counter(), time.process_time()
                values[k] = fn()
                times[k].append(time.perf_counter() - t0)
                cpu[k].append(time.process_time() - c0)
    for k in fns:
        print(f"  {k:<46} wall {statistics.median(times[k]):6.2f} s  "
              f"cpu {statistics.median(cpu[k]):6.2f} s  "
              f"(n={len(times[k])}, incoherence of sys0 {values[k]:.4f})")  # fmt: skip
    return cpu


def main() -> None:
    """Build (or reuse) the store, time every variant, print medians and ratios."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--store", type=Path, default=None, help="reuse a store made by this bench")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = args.store or Path(tmp) / "run"
        if not (run / "store.sqlite").is_file():
            t0 = time.perf_counter()
            n = fill_synthetic_store(
                run, n_systems=N_SYSTEMS, n_instances=N_INSTANCES, n_seeds=N_SEEDS
            )
            print(f"store: {n} samples written in {time.perf_counter() - t0:.1f} s → {run}")
        out = Path(tmp) / "out"
        r = args.repeats
        print("report of 100,000 samples (2 systems x 500 instances x 100 seeds, 6 tests):")
        times = timed(
            {
                "ours, defaults (1000 / 200 draws, nested)": lambda: ours(run, out),
                "ours, --no-nested (questions resampled only)": lambda: ours(
                    run, out, nested=False
                ),
                "ours, 200 draws everywhere (nested)": lambda: ours(
                    run, out, n_boot=200, detail_boot=200
                ),
                "baseline: row-by-row records + Python loop": lambda: row_loop(run),
                "baseline: to_frame + decompose_table (200)": lambda: table_path(run, 200),
            },
            {"ours, defaults (1000 / 200 draws, nested)": r,
             "ours, --no-nested (questions resampled only)": r,
             "ours, 200 draws everywhere (nested)": r,
             "baseline: row-by-row records + Python loop": r,
             "baseline: to_frame + decompose_table (200)": max(1, r - 1)},
        )  # fmt: skip
        med = {k: statistics.median(v) for k, v in times.items()}  # CPU seconds
        ours200 = med["ours, 200 draws everywhere (nested)"]
        print(
            f"ratios (CPU time): table path / ours at equal draws = "
            f"{med['baseline: to_frame + decompose_table (200)'] / ours200:.1f}x; "
            f"row loop (no intervals) / ours --no-nested = "
            f"{med['baseline: row-by-row records + Python loop'] / med['ours, --no-nested (questions resampled only)']:.1f}x"
        )
        print("stages of one default report (CPU s):")
        for k, v in stages(run).items():
            print(f"  {k:<28} {v:6.2f} s")


if __name__ == "__main__":
    main()
