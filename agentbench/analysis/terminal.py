"""A report's headline in a terminal 80 columns wide: estimates with their intervals stacked
under them, few columns, the seeds' outcomes per instance, incoherence by length, the
paired comparison and the multiple-choice losses side by side (the HTML report has the
full tables)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.table import Table

from agentbench.analysis.fmt import num, row_estimate, stacked
from agentbench.analysis.types import Comparison, MCSection, Report
from agentbench.textsafe import safe

if TYPE_CHECKING:
    from rich.console import Console


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
            cell = "  ".join(f"{o.passed}({num(o.n_actions, 0)})" for o in row.seeds)
            seeds.add_row(safe(row.instance_id), safe(row.system), cell, str(row.n_distinct))
        out.print(seeds)
    by_len = _table("incoherence vs action count (groups by mean length; halves)",
                    ["system", "group", "actions", "incoherence"])  # fmt: skip
    for s in rep.systems:
        for g in s.groups:
            by_len.add_row(safe(s.system), str(g.group), num(g.cell.mean_length, 1),
                           stacked(g.cell.incoherence))  # fmt: skip
        for name, c in (("short half", s.short_half), ("long half", s.long_half)):
            if c is not None:
                by_len.add_row(safe(s.system), name, num(c.mean_length, 1), stacked(c.incoherence))
    if by_len.row_count:
        out.print(by_len)
    else:  # e.g. an import without lengths: the warnings below say why
        out.print("incoherence vs action count: no length groups or halves", highlight=False)
    comp = rep.comparison
    if comp and comp.pairs:
        out.print(_pairs(comp, f"paired: system − baseline, same instances ({conf})"))
    if rep.mc is not None:
        print_mc(rep.mc, out)


STATS = ("accuracy", "bias2", "variance", "incoherence")


def _pairs(comp: Comparison, title: str) -> Table:
    """Each system minus the baseline; * marks an interval that excludes 0."""
    t = _table(
        title + "; * = excludes 0", ["system", "Δresolved", "Δbias²", "Δvariance", "Δincoher."]
    )
    for p in comp.pairs:
        cells = [
            stacked(getattr(p, k)).replace("\n", " *\n" if p.clear(k) else "\n", 1) for k in STATS
        ]
        t.add_row(f"{safe(p.system)}\n− {safe(p.baseline)}", *cells)
    return t


def print_comparison(comp: Comparison, out: Console) -> None:
    """A comparison: the systems on the shared instances, then the paired differences."""
    conf = f"{comp.confidence:.0%} CI"
    t = _table(f"{comp.kind}: {comp.n_shared} shared instances ({conf})",
               ["system", "resolved", "bias²", "variance", "incoherence"])  # fmt: skip
    for s in comp.systems:
        t.add_row(safe(s.system), *(stacked(getattr(s.cell, k)) for k in STATS))
    out.print(t)
    out.print(_pairs(comp, f"paired differences: system − baseline ({conf})"))
    for w in comp.warnings:
        out.print(f"[yellow]warning:[/] {safe(w)}", highlight=False)


def print_mc(mc: MCSection, out: Console) -> None:
    """The multiple-choice section: per system incoherence under KL and under Brier, and the
    0/1 bias and variance, side by side (METHODS.md §2); then its notes."""

    rows = mc.side_by_side()
    if rows:
        t = _table("multiple choice: KL, Brier and 0/1 side by side (all questions)",
                   ["system", "accuracy", "incoh. KL", "incoh. Brier", "0/1 bias",
                    "0/1 var"])  # fmt: skip
        for name, kl, br, zo in rows:
            t.add_row(
                safe(name), num(kl["accuracy"]), stacked(row_estimate(kl, "incoherence")),
                stacked(row_estimate(br, "incoherence")), num(zo.bias) if zo else "n/a",
                num(zo.variance) if zo else "n/a",
            )  # fmt: skip
        out.print(t)
    if mc.open:
        t = _table("open-ended answers: embedding variance", ["system", "n", "variance"])
        for o in mc.open:
            t.add_row(safe(o.system), f"{o.n_questions}×{o.n_unrolls}",
                      f"{num(o.variance, 4)}\n[{num(o.variance_low, 4)},{num(o.variance_high, 4)}]")  # fmt: skip
        out.print(t)
    for n in mc.notes:
        out.print(f"note: {safe(n)}", highlight=False)
