"""The report before and after a change on the same run folders: every number must be equal.

Run: .venv/bin/python bench/report_same.py [--ref COMMIT]
The run folders are made by the code at REF (default e982917, before the one report
pipeline): a test-outcome run (sweep.synthetic_store: 2 systems x 40 instances x 12 seeds,
1% missing) and a multiple-choice run (an inspect_ai log of the test fixtures, imported).
Each report (and the viewer's length-plot curves, to 1e-12) is built by the code at REF and
by this checkout, in child processes; the
script prints how many numbers it compared and every one that differs, and exits 1 then.
Old `analysis.report` cells and `analysis.mc_report` rows are matched against the new
report's systems and its `mc` section.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSPECT_LOG = ROOT / "tests/fixtures/imports/inspect/zstd/mc_prompt.eval"

MAKE = """
import sys
from agentbench.sweep.synthetic_store import fill_synthetic_store
from agentbench.importers.inspect_eval import import_inspect
fill_synthetic_store(sys.argv[1], n_instances=40, n_seeds=12, seed=3)
import_inspect(sys.argv[2], sys.argv[3], system="mock")
"""
OLD = """
import json, sys
from agentbench.analysis.report import build_report
from agentbench.analysis.mc_report import report_from_store
t = build_report(sys.argv[1], n_boot=200, detail_boot=50).model_dump(mode="json")
m = build_report(sys.argv[2], n_boot=200, detail_boot=50, groups=1).model_dump(mode="json")
mc = report_from_store(sys.argv[2], groups=1, n_boot=200).model_dump(mode="json")
print(json.dumps({"tests": t, "choice": m, "mc": mc}))
"""
NEW = """
import json, sys
from agentbench.analysis.build import build_report
t = build_report(sys.argv[1], n_boot=200, detail_boot=50).model_dump(mode="json")
m = build_report(sys.argv[2], n_boot=200, detail_boot=50, groups=1).model_dump(mode="json")
print(json.dumps({"tests": t, "choice": m, "mc": m.pop("mc")}))
"""
VIEW = """
import json, sys
from dataclasses import asdict
from pathlib import Path
try:  # this checkout
    from agentbench.store.runstore import RunStore
except ImportError:  # REF, before agentbench/store/
    from agentbench.sweep.store import RunStore
from agentbench.view.lengthplot import CurveCache
from agentbench.view.runs import ViewRun
with RunStore.open(sys.argv[1]) as store:
    run, cache = ViewRun(index=0, path=Path(sys.argv[1]), store=store), CurveCache(k=5)
    print(json.dumps({s.hash: asdict(cache.curve(run, s.hash)) for s in store.systems()}))
"""
SKIP = {"generated_at", "run_dir", "runs", "mc", "synthetic"}


def _run(code: str, pythonpath: Path, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    # cwd: not the checkout, whose package would shadow PYTHONPATH's
    res = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                         text=True, timeout=600, check=False, cwd=pythonpath.parent)  # fmt: skip
    if res.returncode:
        sys.exit(f"child failed: {res.stderr.strip().splitlines()[-1:]}")
    return res.stdout


def _checkout(ref: str, into: Path) -> Path:
    """The package at `ref` (git archive), without touching the working tree."""
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "agentbench"],
                         capture_output=True, check=True).stdout  # fmt: skip
    with tarfile.open(fileobj=BytesIO(tar)) as tf:
        tf.extractall(into, filter="data")
    return into


def _same(a: object, b: object, tol: float) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=tol, abs_tol=tol)
    return a == b


def compare(old: object, new: object, path: str, out: list[str], tol: float = 0.0) -> int:
    """Count the numbers under `old` and append each one `new` disagrees with (beyond `tol`)."""
    if isinstance(old, dict) and isinstance(new, dict):
        keys = [k for k in old if k not in SKIP]
        return sum(compare(old[k], new.get(k), f"{path}.{k}", out, tol) for k in keys)
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            out.append(f"{path}: {len(old)} items before, {len(new)} after")
            return 1
        pairs = enumerate(zip(old, new, strict=True))
        return sum(compare(x, y, f"{path}[{i}]", out, tol) for i, (x, y) in pairs)
    if not _same(old, new, tol):
        out.append(f"{path}: {old!r} before, {new!r} after")
    return 1


def main() -> None:
    """Make the runs, build both reports, compare."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", default="e982917", help="the commit to compare against")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        old_pkg = _checkout(args.ref, t / "old")
        tests_run, mc_run = str(t / "tests"), str(t / "mc")
        _run(MAKE, old_pkg, tests_run, mc_run, str(INSPECT_LOG))
        before = json.loads(_run(OLD, old_pkg, tests_run, mc_run))
        after = json.loads(_run(NEW, ROOT, tests_run, mc_run))
        # the viewer's incoherence-vs-length curves: now from the builder's arrangement, whose
        # per-instance sums run in another order (equal to the last bits only)
        view_before = json.loads(_run(VIEW, old_pkg, tests_run))
        view_after = json.loads(_run(VIEW, ROOT, tests_run))
    diffs: list[str] = []
    n = compare(before, after, "report", diffs)
    n_view = compare(view_before, view_after, "viewer", diffs, tol=1e-12)
    print(f"{n} report values compared exactly and {n_view} viewer values to 1e-12 "
          f"({args.ref} vs this checkout): {len(diffs)} differ")  # fmt: skip
    for d in diffs[:50]:
        print("  " + d)
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
