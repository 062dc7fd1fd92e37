"""Geometry of the incoherence-vs-action-count plot (the template draws it as inline SVG)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from agentbench.view.lengthplot import SystemCurve

WIDTH, HEIGHT = 720, 420
LEFT, RIGHT, TOP, BOTTOM = 60, 20, 20, 50
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b"]


@dataclass(frozen=True)
class Dot:
    """One point: position, what it stands for, where it links."""

    x: float
    y: float
    href: str
    title: str


@dataclass(frozen=True)
class Series:
    """One system: its group points (joined by a line) and its instance points."""

    name: str
    color: str
    groups: list[Dot]
    instances: list[Dot]
    path: str  # SVG polyline points of the groups


@dataclass(frozen=True)
class Plot:
    """Everything the template needs to draw the plot."""

    width: int
    height: int
    series: list[Series]
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    x0: float
    x1: float
    y0: float
    y1: float


def _nice_ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    """Round tick values spanning [lo, hi]."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    return [
        start + i * step
        for i in range(int((hi - start) / step) + 2)
        if start + i * step <= hi + 1e-9
    ]


def build_plot(
    curves: list[tuple[str, SystemCurve]],
    group_href: dict[tuple[str, int], str],
    instance_href: dict[tuple[str, str, str], str],
) -> Plot:
    """Scale every system's points into one plot; hrefs come keyed by (hash, group) and
    (hash, task, instance)."""
    xs = [p.mean_actions for _, c in curves for p in c.instances]
    xs += [g.mean_actions for _, c in curves for g in c.groups]
    lo = min(xs, default=0.0)
    hi = max(xs, default=1.0)
    pad = max((hi - lo) * 0.05, 0.5)
    lo, hi = max(0.0, lo - pad), hi + pad
    x0, x1, y0, y1 = LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM, TOP

    def sx(v: float) -> float:
        return round(x0 + (v - lo) / (hi - lo) * (x1 - x0), 1)

    def sy(v: float) -> float:
        return round(y0 + v * (y1 - y0), 1)  # incoherence lies in [0, 1]

    series: list[Series] = []
    for n, (name, c) in enumerate(curves):
        groups = [
            Dot(sx(g.mean_actions), sy(g.incoherence), group_href[(c.system_hash, g.group)],
                f"{name} group {g.group}: {g.n_instances} instances, {g.min_actions:.1f}–"
                f"{g.max_actions:.1f} actions, incoherence {g.incoherence:.3f}")
            for g in c.groups
            if not math.isnan(g.incoherence)
        ]  # fmt: skip
        insts = [
            Dot(sx(p.mean_actions), sy(p.incoherence),
                instance_href[(c.system_hash, p.task, p.instance_id)],
                f"{p.instance_id}: {p.mean_actions:.1f} actions, incoherence {p.incoherence:.3f}")
            for p in c.instances
            if not math.isnan(p.incoherence)
        ]  # fmt: skip
        path = " ".join(f"{d.x},{d.y}" for d in groups)
        series.append(Series(name, PALETTE[n % len(PALETTE)], groups, insts, path))
    x_ticks = [(sx(v), f"{v:g}") for v in _nice_ticks(lo, hi) if lo <= v <= hi]
    y_ticks = [(sy(v), f"{v:.1f}") for v in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)]
    return Plot(WIDTH, HEIGHT, series, x_ticks, y_ticks, x0, x1, y0, y1)
