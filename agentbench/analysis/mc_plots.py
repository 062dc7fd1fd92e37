"""PNG figures of the mc report (matplotlib, headless): one file per view."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentbench.analysis.mc_report import MCReport


def _save(fig: Any, out: Path, name: str, plt: Any) -> str:
    """Lay out, write `out/name` as PNG, free the figure; returns the file name."""
    fig.tight_layout()
    fig.savefig(out / name, dpi=90)
    plt.close(fig)
    return name


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # no display here or in CI
    import matplotlib.pyplot as plt

    return plt


def _err(rows: list[dict[str, Any]], name: str) -> list[list[float]]:
    """Asymmetric error bars (clipped at 0: the recentred interval can cross the estimate)."""
    lo = [max(0.0, r[name] - r[f"{name}_low"]) if not math.isnan(r[name]) else 0.0 for r in rows]
    hi = [max(0.0, r[f"{name}_high"] - r[name]) if not math.isnan(r[name]) else 0.0 for r in rows]
    return [lo, hi]


def _length_plot(rep: MCReport, out: Path, plt: Any) -> str | None:
    if not rep.groups or not rep.rows:
        return None
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for ax, loss in zip(axes[:2], ("kl", "brier"), strict=True):
        for s in rep.systems:
            rows = [
                r for r in rep.rows.get(loss, [])
                if r["system"] == s.name and r["group"] != "all" and r["half"] == "all"
            ]  # fmt: skip
            if not rows:
                continue
            x = [r["mean_length"] for r in rows]
            ax.errorbar(x, [r["incoherence"] for r in rows], yerr=_err(rows, "incoherence"),
                        marker="o", capsize=3, label=s.name)  # fmt: skip
        ax.set_xlabel("mean reasoning length (tokens), per question group")
        ax.set_ylabel(f"incoherence ({loss})")
        ax.set_ylim(0, 1)
        ax.set_title(f"Incoherence vs length ({loss})")
    for s in rep.systems:
        rows = [
            r for r in rep.rows.get("kl", [])
            if r["system"] == s.name and r["group"] != "all" and r["half"] == "all"
        ]  # fmt: skip
        if rows:
            axes[2].errorbar([r["mean_length"] for r in rows], [r["accuracy"] for r in rows],
                             yerr=_err(rows, "accuracy"), marker="s", capsize=3, label=s.name)  # fmt: skip
    axes[2].set_xlabel("mean reasoning length (tokens)")
    axes[2].set_ylabel("accuracy")
    axes[2].set_ylim(0, 1)
    axes[2].set_title("Accuracy vs length")
    axes[2].legend(fontsize=7)
    return _save(fig, out, "incoherence_vs_length.png", plt)


def _halves_plot(rep: MCReport, out: Path, plt: Any) -> str | None:
    def halves(loss: str) -> list[dict[str, Any]]:
        return [r for r in rep.rows.get(loss, []) if r["group"] == "all" and r["half"] != "all"]

    if not halves("kl"):
        return None
    names = [s.name for s in rep.systems if any(r["system"] == s.name for r in halves("kl"))]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    width = 0.38
    panels = (("kl", "incoherence", "incoherence (KL)"), ("brier", "incoherence",
              "incoherence (Brier)"), ("kl", "accuracy", "accuracy"))  # fmt: skip
    for ax, (loss, stat, title) in zip(axes, panels, strict=True):
        rows = halves(loss)
        for j, half in enumerate(("short", "long")):
            sel = [next(r for r in rows if r["system"] == n and r["half"] == half) for n in names]
            xs = [i + (j - 0.5) * width for i in range(len(names))]
            ax.bar(xs, [r[stat] for r in sel], width, yerr=_err(sel, stat), capsize=3,
                   label=f"{half} half")  # fmt: skip
        ax.set_xticks(range(len(names)), names, rotation=20, fontsize=8)
        ax.set_ylim(0, 1)
        ax.set_title(f"Median split per question: {title}", fontsize=9)
        ax.legend(fontsize=7)
    return _save(fig, out, "overthinking.png", plt)


def _budget_plot(rep: MCReport, out: Path, plt: Any) -> str | None:
    budgeted = [s for s in rep.systems if s.budget_label is not None]
    if len(budgeted) < 2 or "kl" not in rep.rows:
        return None
    by_model: dict[str, list[Any]] = {}
    for s in budgeted:
        by_model.setdefault(s.model, []).append(s)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for model, ss in by_model.items():
        ss.sort(key=lambda s: (s.reasoning_budget or 0, str(s.reasoning_effort)))
        rows = [rep.row("kl", s.name) for s in ss]
        labels = [s.budget_label for s in ss]
        axes[0].errorbar(labels, [r["incoherence"] for r in rows], yerr=_err(rows, "incoherence"),
                         marker="o", capsize=3, label=model)  # fmt: skip
        axes[1].errorbar(labels, [r["accuracy"] for r in rows], yerr=_err(rows, "accuracy"),
                         marker="s", capsize=3, label=model)  # fmt: skip
    axes[0].set_title("Incoherence (KL) per reasoning budget")
    axes[1].set_title("Accuracy per reasoning budget")
    for ax in axes:
        ax.set_ylim(0, 1)
        ax.legend(fontsize=7)
    return _save(fig, out, "budgets.png", plt)


def _ensemble_plot(rep: MCReport, out: Path, plt: Any) -> str | None:
    if not rep.ensemble:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, loss in zip(axes, ("kl", "brier"), strict=True):
        for s in rep.systems:
            pts = [p for p in rep.ensemble if p.system == s.name and p.loss == loss]
            if not pts:
                continue
            e = [p.size for p in pts]
            (line,) = ax.plot(e, [p.variance for p in pts], marker="o", label=f"{s.name} variance")
            ax.plot(e, [p.bias2 for p in pts], marker="s", ls="--", color=line.get_color(),
                    label=f"{s.name} bias²")  # fmt: skip
            if pts[0].variance > 0:
                ax.plot(e, [pts[0].variance / x for x in e], ls=":", color="grey",
                        label="variance(1)/E" if s is rep.systems[0] else None)  # fmt: skip
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("ensemble size E")
        ax.set_title(f"Ensembling ({loss})")
        ax.legend(fontsize=7)
    return _save(fig, out, "ensemble.png", plt)


def _open_plot(rep: MCReport, out: Path, plt: Any) -> str | None:
    if not rep.open:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    names = [o.system for o in rep.open]
    vals = [o.variance for o in rep.open]
    err = [[max(0.0, o.variance - o.variance_low) for o in rep.open],
           [max(0.0, o.variance_high - o.variance) for o in rep.open]]  # fmt: skip
    ax.bar(names, vals, yerr=err, capsize=3)
    ax.set_ylabel("embedding variance (mean over questions)")
    ax.set_title("Open-ended answers")
    return _save(fig, out, "open_variance.png", plt)


def make_plots(rep: MCReport, out: Path) -> dict[str, str]:
    """Draw every view that has data; returns view name → file name (relative to `out`)."""
    plt = _plt()
    made: dict[str, str] = {}
    for key, fn in (
        ("length", _length_plot),
        ("overthinking", _halves_plot),
        ("budgets", _budget_plot),
        ("ensemble", _ensemble_plot),
        ("open", _open_plot),
    ):
        name = fn(rep, out, plt)
        if name is not None:
            made[key] = name
    return made
