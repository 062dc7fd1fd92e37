"""PNG plots of a report (matplotlib, Agg canvas; no pyplot global state, so thread-safe)."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from agentbench.analysis.fmt import row_estimate
from agentbench.analysis.types import Comparison, Estimate, MCSection, Report
from agentbench.textsafe import plain

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")


def _name(system: str) -> str:
    """A system name as a plot label: no control characters, and `$` is not mathtext."""
    return plain(system).replace("$", r"\$")


def figure(width: float, height: float) -> Figure:
    """A figure on its own Agg canvas (no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
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
    fig = figure(max(7.0, 1.2 * len(syss) + 5), 3.6)
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
    return png(fig)


def _lines(ax: Axes, xs: list[list[float]], ys: list[list[Estimate]], names: list[str]) -> None:
    for i, (xv, yv, name) in enumerate(zip(xs, ys, names, strict=True)):
        ax.errorbar(
            xv, [e.estimate for e in yv], yerr=_err(yv), marker="o", capsize=3,
            color=_COLORS[i % len(_COLORS)], label=name,
        )  # fmt: skip


def length_plot(rep: Report) -> bytes:
    """Incoherence and resolved rate per length group (x: the group's mean actions); a system
    whose unrolls all have one length is one point."""
    syss = [s for s in rep.systems if s.length_cells()]
    fig = figure(9.0, 3.6)
    ax1, ax2 = fig.subplots(1, 2)
    cells = [s.length_cells() for s in syss]
    xs = [[c.mean_length for c in cs] for cs in cells]
    names = [_name(s.system) for s in syss]
    _lines(ax1, xs, [[c.incoherence for c in cs] for cs in cells], names)
    _lines(ax2, xs, [[c.accuracy for c in cs] for cs in cells], names)
    ax1.set_title("incoherence by length group")
    ax2.set_title(_label(syss[0].kind) if syss else "resolved rate")
    for ax in (ax1, ax2):
        ax.set_xlabel("mean length of the group (actions or tokens)")
        ax.set_ylim(bottom=0)
        if syss:
            ax.legend(fontsize=8)
    return png(fig)


def halves_plot(rep: Report) -> bytes:
    """Short half vs long half of each question's unrolls (per-question median split)."""
    syss = [s for s in rep.systems if s.short_half is not None and s.long_half is not None]
    fig = figure(9.0, 3.6)
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
    return png(fig)


# ---------------------------------------------------------------- multiple-choice section


def _ests(rows: list[dict[str, Any]], name: str) -> list[Estimate]:
    return [row_estimate(r, name) for r in rows]


def mc_length_plot(mc: MCSection) -> bytes | None:
    """Incoherence (KL, Brier) and accuracy per question group of mean reasoning length."""
    if not mc.groups or not mc.rows:
        return None

    def rows(loss: str, system: str) -> list[dict[str, Any]]:
        return [r for r in mc.rows.get(loss, [])
                if r["system"] == system and r["group"] != "all" and r["half"] == "all"]  # fmt: skip

    if not any(rows("kl", s.name) for s in mc.systems):
        return None  # no length groups were made (no lengths): nothing to plot

    fig = figure(14.0, 4.0)
    axes = fig.subplots(1, 3)
    names = [s.name for s in mc.systems if rows("kl", s.name)]
    panels = (("kl", "incoherence", "Incoherence vs length (kl)"),
              ("brier", "incoherence", "Incoherence vs length (brier)"),
              ("kl", "accuracy", "Accuracy vs length"))  # fmt: skip
    for ax, (loss, stat, title) in zip(axes, panels, strict=True):
        sel = [rows(loss, n) for n in names]
        _lines(ax, [[r["mean_length"] for r in rs] for rs in sel],
               [_ests(rs, stat) for rs in sel], [_name(n) for n in names])  # fmt: skip
        ax.set_xlabel("mean reasoning length (tokens), per question group")
        ax.set_ylabel(stat if stat == "accuracy" else f"incoherence ({loss})")
        ax.set_ylim(0, 1)
        ax.set_title(title)
    axes[2].legend(fontsize=7)
    return png(fig)


def mc_halves_plot(mc: MCSection) -> bytes | None:
    """Short vs long half of each question's unrolls: incoherence (KL, Brier) and accuracy."""

    def halves(loss: str) -> list[dict[str, Any]]:
        return [r for r in mc.rows.get(loss, []) if r["group"] == "all" and r["half"] != "all"]

    if not halves("kl"):
        return None
    names = [s.name for s in mc.systems if any(r["system"] == s.name for r in halves("kl"))]
    fig = figure(14.0, 4.0)
    axes = fig.subplots(1, 3)
    width = 0.38
    panels = (("kl", "incoherence", "incoherence (KL)"), ("brier", "incoherence",
              "incoherence (Brier)"), ("kl", "accuracy", "accuracy"))  # fmt: skip
    for ax, (loss, stat, title) in zip(axes, panels, strict=True):
        rows = halves(loss)
        for j, half in enumerate(("short", "long")):
            sel = [next(r for r in rows if r["system"] == n and r["half"] == half) for n in names]
            xs = [i + (j - 0.5) * width for i in range(len(names))]
            ax.bar(xs, [r[stat] for r in sel], width, yerr=_err(_ests(sel, stat)), capsize=3,
                   label=f"{half} half")  # fmt: skip
        ax.set_xticks(range(len(names)), [_name(n) for n in names], rotation=20, fontsize=8)
        ax.set_ylim(0, 1)
        ax.set_title(f"Median split per question: {title}", fontsize=9)
        ax.legend(fontsize=7)
    return png(fig)


def mc_budget_plot(mc: MCSection) -> bytes | None:
    """Incoherence (KL) and accuracy per reasoning budget, one line per model."""
    budgeted = [s for s in mc.systems if s.budget_label is not None]
    if len(budgeted) < 2 or "kl" not in mc.rows:
        return None
    by_model: dict[str, list[Any]] = {}
    for s in budgeted:
        by_model.setdefault(s.model, []).append(s)
    fig = figure(10.0, 4.0)
    axes = fig.subplots(1, 2)
    for model, ss in by_model.items():
        ss.sort(key=lambda s: (s.reasoning_budget or 0, str(s.reasoning_effort)))
        rows = [mc.row("kl", s.name) for s in ss]
        labels = [s.budget_label for s in ss]
        for ax, stat in zip(axes, ("incoherence", "accuracy"), strict=True):
            ax.errorbar(labels, [r[stat] for r in rows], yerr=_err(_ests(rows, stat)), marker="o",
                        capsize=3, label=_name(model))  # fmt: skip
    axes[0].set_title("Incoherence (KL) per reasoning budget")
    axes[1].set_title("Accuracy per reasoning budget")
    for ax in axes:
        ax.set_ylim(0, 1)
        ax.legend(fontsize=7)
    return png(fig)


def mc_ensemble_plot(mc: MCSection) -> bytes | None:
    """Bias² and variance against ensemble size E (log-log), with the 1/E reference."""
    if not mc.ensemble:
        return None
    fig = figure(10.0, 4.0)
    axes = fig.subplots(1, 2)
    for ax, loss in zip(axes, ("kl", "brier"), strict=True):
        for s in mc.systems:
            pts = [p for p in mc.ensemble if p.system == s.name and p.loss == loss]
            if not pts:
                continue
            e = [p.size for p in pts]
            (line,) = ax.plot(e, [p.variance for p in pts], marker="o",
                              label=f"{_name(s.name)} variance")  # fmt: skip
            ax.plot(e, [p.bias2 for p in pts], marker="s", ls="--", color=line.get_color(),
                    label=f"{_name(s.name)} bias²")  # fmt: skip
            if pts[0].variance > 0:
                ax.plot(e, [pts[0].variance / x for x in e], ls=":", color="grey",
                        label="variance(1)/E" if s is mc.systems[0] else None)  # fmt: skip
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("ensemble size E")
        ax.set_title(f"Ensembling ({loss})")
        ax.legend(fontsize=7)
    return png(fig)


def mc_open_plot(mc: MCSection) -> bytes | None:
    """Embedding variance of open-ended answers per system."""
    if not mc.open:
        return None
    fig = figure(6.0, 4.0)
    ax = fig.subplots()
    err = [[max(0.0, o.variance - o.variance_low) for o in mc.open],
           [max(0.0, o.variance_high - o.variance) for o in mc.open]]  # fmt: skip
    ax.bar([_name(o.system) for o in mc.open], [o.variance for o in mc.open], yerr=err, capsize=3)
    ax.set_ylabel("embedding variance (mean over questions)")
    ax.set_title("Open-ended answers")
    return png(fig)


MC_PLOTS = (
    ("incoherence_vs_length", mc_length_plot),
    ("overthinking", mc_halves_plot),
    ("budgets", mc_budget_plot),
    ("ensemble", mc_ensemble_plot),
    ("open_variance", mc_open_plot),
)


def report_plots(rep: Report) -> dict[str, bytes]:
    """All plots of a report as PNG bytes, by file stem (views without data draw none)."""
    out: dict[str, bytes] = {}
    if rep.systems:
        out["decomposition"] = decomposition_plot(rep)
        out["incoherence_by_length"] = length_plot(rep)
        out["short_long_halves"] = halves_plot(rep)
    if rep.mc is not None:
        for stem, fn in MC_PLOTS:
            png = fn(rep.mc)
            if png is not None:
                out[stem] = png
    return out


def compare_plot(comp: Comparison) -> bytes:
    """Paired differences (system − baseline) with their intervals, one panel per statistic."""
    stats = (("accuracy", "Δ resolved / accuracy"), ("bias2", "Δ bias²"),
             ("variance", "Δ variance"), ("incoherence", "Δ incoherence"))  # fmt: skip
    pairs = comp.pairs
    fig = figure(10.0, max(2.4, 0.5 * len(pairs) + 1.6))
    axes = fig.subplots(1, len(stats), sharey=True)
    y = list(range(len(pairs)))
    for ax, (attr, title) in zip(axes, stats, strict=True):
        est = [getattr(p, attr) for p in pairs]
        ax.errorbar([e.estimate for e in est], y, xerr=_err(est), fmt="o", capsize=4)
        ax.axvline(0.0, color="#888", lw=1, ls="--")
        ax.set_title(f"{title} ({comp.confidence:.0%} CI)", fontsize=9)
    axes[0].set_yticks(y, [f"{p.system} − {p.baseline}" for p in pairs], fontsize=8)
    axes[0].set_ylim(-0.6, len(pairs) - 0.4)
    return png(fig)
