"""The plan as a rich table plus a few lines: what each figure is and where it came from."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from agentbench.planning.build import Plan
from agentbench.textsafe import safe


def _tok(v: float | None) -> str:
    if v is None:
        return "unknown"
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if v >= div:
            return f"{v / div:.2f}{unit}"
    return f"{v:.0f}"


def _usd(v: float | None) -> str:
    return "unknown" if v is None else f"${v:,.2f}" if v >= 1 else f"${v:.4f}"


def _dur(s: float | None) -> str:
    if s is None:
        return "unknown"
    s = round(s)
    d, rest = divmod(s, 86400)
    h, rest = divmod(rest, 3600)
    m, sec = divmod(rest, 60)
    return (f"{d}d " if d else "") + f"{h}:{m:02d}:{sec:02d}"


def _bytes(b: float | None) -> str:
    if b is None:
        return "unknown"
    for unit, div in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= div:
            return f"{b / div:.1f} {unit}"
    return f"{b:.0f} B"


def print_plan(plan: Plan, console: Console) -> None:
    """Print the plan: one row per system, then totals, wall time, disk and what is missing."""
    cols = ("system", "model", "samples", "in tok/sample", "out tok/sample", "in tok total",
            "out tok total", "$ / Mtok in/out", "cost", "tokens from")  # fmt: skip
    rows = []
    for s in plan.systems:
        price = "unknown" if s.price is None else f"{s.price.input:g}/{s.price.output:g}"
        rows.append((
            safe(s.name), safe(s.model), "unknown" if s.samples is None else f"{s.samples:,}",
            _tok(s.input_tokens), _tok(s.output_tokens), _tok(s.total(s.input_tokens)),
            _tok(s.total(s.output_tokens)), price,
            ("≤ " if s.is_bound and s.cost_usd is not None else "") + _usd(s.cost_usd), safe(s.basis),
        ))  # fmt: skip
    title = f"plan: {safe(plan.name)} → {safe(plan.run_dir)}"
    if console.width >= 120:
        t = Table(title=title, title_justify="left")
        for col in cols:
            t.add_column(col, overflow="fold")
        for row in rows:
            t.add_row(*row)
        console.print(t)
    else:  # ten columns do not fit a narrow terminal: one field a line, a block per system
        console.print(title, highlight=False)
        for row in rows:
            t = Table.grid(padding=(0, 2))
            t.add_column(style="bold", no_wrap=True)
            t.add_column(overflow="fold")
            for col, value in zip(cols, row, strict=True):
                t.add_row(col, value)
            console.print(t)
    for i in plan.tasks:
        n = "unknown" if i.n is None else f"{i.n:,}"
        console.print(
            f"task {safe(i.name)} ({i.kind}): {n} instances, {safe(i.how)}", highlight=False
        )
    samples = [s.samples for s in plan.systems]
    total = None if any(n is None for n in samples) else sum(n or 0 for n in samples)
    console.print(
        f"total: {'unknown' if total is None else f'{total:,}'} samples, cost "
        + (
            "at most "
            if any(s.is_bound for s in plan.systems) and plan.cost_usd is not None
            else ""
        )
        + _usd(plan.cost_usd)
        + (" (a system's price or tokens are unknown)" if plan.cost_usd is None else ""),
        highlight=False,
    )
    console.print(f"wall time: {_dur(plan.wall_s)} ({safe(plan.wall_basis)})", highlight=False)
    console.print(
        f"disk: trajectories {_bytes(plan.disk_trajectories)} ({plan.disk_basis}); "
        f"images {plan.disk_images}",
        highlight=False,
    )
    console.print(
        "tokens are counted as characters / 4 where no run measured them", highlight=False
    )
    for note in plan.notes:
        console.print(f"note: {safe(note)}", highlight=False)
    if plan.missing:
        console.print("[bold yellow]missing to start:[/]")
        for m in plan.missing:
            console.print(f"  - {safe(m)}", highlight=False, markup=False)
    else:
        console.print("[green]nothing missing to start[/]")
