"""PNG plots of a report (matplotlib, Agg canvas; no pyplot global state, so thread-safe)."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from agentbench.textsafe import plain

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from agentbench.analysis.compare import Comparison
    from agentbench.analysis.report import Estimate, Report

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")


def _name(system: str) -> str:
    """A system name as a plot label: no control characters, and `$` is not mathtext."""
    return plain(system).replace("$", r"\$")


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _err(est: Sequence[Estimate]) -> list[list[float]]:
    """Asymmetric error bars; an undefined interval draws no bar."""
    lo = [e.estimate - e.low if math.isfinite(e.low) else 0.0 for e in est]
    hi = [e.high - e.estimate if math.isfinite(e.high) else 0.0 for e in est]
    return [[max(0.0, v) for v in lo], [max(0.0, v) for v in hi]]


def _label(kind: str) -> str:
    return "resolved rate" if kind == "tests" else "accuracy"


def decomposition_plot(rep: Report) -> bytes:
    """Per system: bias² and variance stacked (= error), incoherence and resolved rate with CIs."""
    syss = rep.systems
    fig = _figure(max(7.0, 1.2 * len(syss) + 5), 3.6)
    ax1, ax2, ax3 = fig.subplots(1, 3)
    x = list(range(len(syss)))
    names = [_name(s.system) for s in syss]
    b = [s.overall.bias2 for s in syss]
    v = [s.overall.variance for s in syss]
    ax1.bar(x, [e.estimate for e in b], color="#4c72b0", label="bias²")
    ax1.bar(
        x,
        [e.estimate for e in v],
        bottom=[e.estimate for e in b],
        color="#dd8452",
        label="variance",
    )
    ax1.set_title("error = bias² + variance")
    ax1.legend(fontsize=8)
    for ax, attr, title in (
        (ax2, "incoherence", "incoherence"),
        (ax3, "accuracy", _label(syss[0].kind) if syss else "resolved rate"),
    ):
        est = [getattr(s.overall, attr) for s in syss]
        ax.errorbar(x, [e.estimate for e in est], yerr=_err(est), fmt="o", capsize=4)
        ax.set_title(f"{title} ({rep.confidence:.0%} CI)")
        ax.set_ylim(bottom=0)
    for ax in (ax1, ax2, ax3):
        ax.set_xticks(x, names, rotation=20, ha="right", fontsize=8)
        ax.set_xlim(-0.6, len(syss) - 0.4)
    return _png(fig)


def _lines(ax: Axes, xs: list[list[float]], ys: list[list[Estimate]], names: list[str]) -> None:
    for i, (xv, yv, name) in enumerate(zip(xs, ys, names, strict=True)):
        ax.errorbar(
            xv, [e.estimate for e in yv], yerr=_err(yv), marker="o", capsize=3,
            color=_COLORS[i % len(_COLORS)], label=name,
        )  # fmt: skip


def length_plot(rep: Report) -> bytes:
    """Incoherence and resolved rate per length group (x: the group's mean actions)."""
    syss = [s for s in rep.systems if s.groups]
    fig = _figure(9.0, 3.6)
    ax1, ax2 = fig.subplots(1, 2)
    xs = [[g.cell.mean_length for g in s.groups] for s in syss]
    names = [_name(s.system) for s in syss]
    _lines(ax1, xs, [[g.cell.incoherence for g in s.groups] for s in syss], names)
    _lines(ax2, xs, [[g.cell.accuracy for g in s.groups] for s in syss], names)
    ax1.set_title("incoherence by length group")
    ax2.set_title(_label(syss[0].kind) if syss else "resolved rate")
    for ax in (ax1, ax2):
        ax.set_xlabel("mean length of the group (actions or tokens)")
        ax.set_ylim(bottom=0)
        if syss:
            ax.legend(fontsize=8)
    return _png(fig)


def halves_plot(rep: Report) -> bytes:
    """Short half vs long half of each question's unrolls (per-question median split)."""
    syss = [s for s in rep.systems if s.short_half is not None and s.long_half is not None]
    fig = _figure(9.0, 3.6)
    ax1, ax2 = fig.subplots(1, 2)
    for ax, attr, title in (
        (ax1, "incoherence", "incoherence"),
        (ax2, "accuracy", "resolved rate"),
    ):
        for i, s in enumerate(syss):
            est = [getattr(s.short_half, attr), getattr(s.long_half, attr)]
            ax.errorbar(
                [0, 1], [e.estimate for e in est], yerr=_err(est), marker="o", capsize=3,
                color=_COLORS[i % len(_COLORS)], label=_name(s.system),
            )  # fmt: skip
        ax.set_xticks([0, 1], ["short half", "long half"])
        ax.set_xlim(-0.4, 1.4)
        ax.set_ylim(bottom=0)
        ax.set_title(title)
        if syss:
            ax.legend(fontsize=8)
    return _png(fig)


def report_plots(rep: Report) -> dict[str, bytes]:
    """All plots of a report as PNG bytes, by file stem."""
    if not rep.systems:
        return {}
    return {
        "decomposition": decomposition_plot(rep),
        "incoherence_by_length": length_plot(rep),
        "short_long_halves": halves_plot(rep),
    }


def compare_plot(comp: Comparison) -> bytes:
    """Paired differences (system − baseline) with their intervals, one panel per statistic."""
    stats = (("accuracy", "Δ resolved / accuracy"), ("bias2", "Δ bias²"),
             ("variance", "Δ variance"), ("incoherence", "Δ incoherence"))  # fmt: skip
    pairs = comp.pairs
    fig = _figure(10.0, max(2.4, 0.5 * len(pairs) + 1.6))
    axes = fig.subplots(1, len(stats), sharey=True)
    y = list(range(len(pairs)))
    for ax, (attr, title) in zip(axes, stats, strict=True):
        est = [getattr(p, attr) for p in pairs]
        ax.errorbar([e.estimate for e in est], y, xerr=_err(est), fmt="o", capsize=4)
        ax.axvline(0.0, color="#888", lw=1, ls="--")
        ax.set_title(f"{title} ({comp.confidence:.0%} CI)", fontsize=9)
    axes[0].set_yticks(y, [f"{p.system} − {p.baseline}" for p in pairs], fontsize=8)
    axes[0].set_ylim(-0.6, len(pairs) - 0.4)
    return _png(fig)
