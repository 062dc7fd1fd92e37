"""A report's headline in a terminal 80 columns wide: estimates with their intervals stacked
under them, few columns, the seeds' outcomes per instance, incoherence by length and the
paired comparison (the HTML report has the full tables)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich import box
from rich.table import Table

from agentbench.textsafe import safe

if TYPE_CHECKING:
    from rich.console import Console

    from agentbench.analysis.report import Estimate, Report


def stacked(e: Estimate | dict) -> str:  # type: ignore[type-arg]
    """'0.123' over '[.100,.150]': the estimate and its interval on two short lines."""
    est, lo, hi = (e["estimate"], e["low"], e["high"]) if isinstance(e, dict) else (
        e.estimate, e.low, e.high)  # fmt: skip
    if not math.isfinite(est):
        return "n/a"
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return f"{est:.3f}"
    return f"{est:.3f}\n[{_short(lo)},{_short(hi)}]"


def _short(x: float) -> str:
    """A number in at most 4 characters: 0.123 -> .12, -0.05 -> -.05, 1.0 -> 1.00."""
    s = f"{x:.2f}"
    return s.replace("0.", ".", 1) if s.startswith(("0.", "-0.")) else s


def _table(title: str, cols: list[str]) -> Table:
    t = Table(title=title, box=box.SIMPLE_HEAD, padding=(0, 1), title_justify="left")
    for c in cols:
        if c in ("system", "instance"):
            t.add_column(c, justify="left", min_width=len(c), overflow="fold")
        elif c == "seeds":
            t.add_column(c, justify="left", overflow="fold")
        else:
            t.add_column(c, justify="right", no_wrap=True)
    return t


def print_headline(rep: Report, out: Console) -> None:
    """Print the headline tables of a report, each narrower than 80 columns."""
    conf = f"{rep.confidence:.0%} CI"
    main = _table(f"per system, n = instances × seeds ({conf}; plug-in, Σvar/Σerror)",
                  ["system", "n", "resolved", "bias²", "variance", "incoherence"])  # fmt: skip
    for s in rep.systems:
        c = s.overall
        main.add_row(
            safe(s.system), f"{c.n_questions}×{c.min_unrolls}", stacked(c.accuracy),
            stacked(c.bias2), stacked(c.variance), stacked(c.incoherence),
        )  # fmt: skip
    out.print(main)
    if rep.seed_outcomes:
        seeds = _table("seeds side by side: 1 = test passes, (actions); ≠ = distinct vectors",
                       ["instance", "system", "seeds", "≠"])  # fmt: skip
        for row in rep.seed_outcomes:
            cell = "  ".join(f"{o.passed}({o.n_actions:.0f})" for o in row.seeds)
            seeds.add_row(safe(row.instance_id), safe(row.system), cell, str(row.n_distinct))
        out.print(seeds)
    by_len = _table("incoherence vs action count (groups by mean length; halves)",
                    ["system", "group", "actions", "incoherence"])  # fmt: skip
    for s in rep.systems:
        for g in s.groups:
            by_len.add_row(safe(s.system), str(g.group), f"{g.cell.mean_length:.1f}",
                           stacked(g.cell.incoherence))  # fmt: skip
        for name, c in (("short half", s.short_half), ("long half", s.long_half)):
            if c is not None:
                by_len.add_row(safe(s.system), name, f"{c.mean_length:.1f}", stacked(c.incoherence))
    out.print(by_len)
    comp = rep.comparison
    if comp and comp.get("pairs"):
        pairs = _table(f"paired: system − baseline, same instances ({conf})",
                       ["system", "Δresolved", "Δbias²", "Δvariance", "Δincoher."])  # fmt: skip
        for p in comp["pairs"]:
            pairs.add_row(
                f"{safe(p['system'])}\n− {safe(p['baseline'])}", stacked(p["accuracy"]),
                stacked(p["bias2"]), stacked(p["variance"]), stacked(p["incoherence"]),
            )  # fmt: skip
        out.print(pairs)
