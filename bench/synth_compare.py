"""Compare two synthetic-optimizer reports: bias² and variance vs size, side by side.

    python bench/synth_compare.py bench/results/synth_cpu bench/results/synth_cpu_long

Reads each folder's summary.json (written by `agentbench synth report`) and prints, per
size, the final-step and last-quarter bias² and variance of both runs and their ratio, then
the log-log slopes vs parameters the way report.py fits them (least squares on log10), over
all sizes of each run, over the sizes both runs share, and between neighbouring sizes.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np


def load(folder: Path) -> dict[str, dict[str, Any]]:
    """Rows of a report's summary.json keyed by size name."""
    summary = json.loads((folder / "summary.json").read_text())
    return {r["size"]: r for r in summary["sizes"]}


def slope(rows: list[dict[str, Any]], key: str) -> float:
    """Least-squares slope of log10(key) against log10(params), as report.py computes it."""
    p = np.array([r["params"] for r in rows], dtype=float)
    y = np.array([r[key] for r in rows], dtype=float)
    ok = (y > 0) & np.isfinite(y)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log10(p[ok]), np.log10(y[ok]), 1)[0])


def slope_line(label: str, rows: list[dict[str, Any]]) -> str:
    """One line: bias² and variance slopes (final step, last quarter) for these rows."""
    fb, fv = slope(rows, "final_bias2"), slope(rows, "final_variance")
    lb, lv = slope(rows, "late_bias2"), slope(rows, "late_variance")
    return (
        f"{label:<34} final: bias² {fb:+.2f} variance {fv:+.2f} (bias−var {fb - fv:+.2f})"
        f" | last quarter: bias² {lb:+.2f} variance {lv:+.2f} (bias−var {lb - lv:+.2f})"
    )


def main() -> None:
    """Print the side-by-side table and the slopes."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("baseline", type=Path)
    ap.add_argument("new", type=Path)
    args = ap.parse_args()
    base, new = load(args.baseline), load(args.new)
    common = [s for s in new if s in base]
    keys = ("final_bias2", "final_variance", "late_bias2", "late_variance", "late_incoherence")
    print(f"baseline {args.baseline}  new {args.new}")
    print(f"{'size':<6}{'params':>9}  " + "  ".join(f"{k:>27}" for k in keys))
    for s in common:
        cells = [
            f"{base[s][k]:.3g}->{new[s][k]:.3g} ({new[s][k] / base[s][k]:.2f}x)".rjust(27)
            for k in keys
        ]
        print(f"{s:<6}{new[s]['params']:>9,}  " + "  ".join(cells))
    print()
    print(slope_line("baseline, all its sizes", list(base.values())))
    print(slope_line("new, all its sizes", list(new.values())))
    print(slope_line("baseline, shared sizes", [base[s] for s in common]))
    print(slope_line("new, shared sizes", [new[s] for s in common]))
    for a, b in itertools.pairwise(common):
        print(slope_line(f"baseline, {a}->{b}", [base[a], base[b]]))
        print(slope_line(f"new, {a}->{b}", [new[a], new[b]]))


if __name__ == "__main__":
    main()
