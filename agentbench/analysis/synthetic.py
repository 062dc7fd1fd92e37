"""The synthetic-optimizer section (METHODS.md §2d): a synthetic run folder's per-size results
as a `Report` whose `synthetic` section the shared renderers show, plus its PNG plots and
a JSON and markdown summary."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from agentbench.analysis.fmt import num, sig
from agentbench.analysis.html import render_html
from agentbench.analysis.plots import figure, png
from agentbench.analysis.types import Report
from agentbench.analysis.write import write_files
from agentbench.errors import DataError

FIGURES = (
    "incoherence_vs_step.png",
    "bias_variance_vs_params.png",
    "loss_vs_params.png",
    "bias_variance_vs_step.png",
)


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    except Exception as exc:
        raise DataError(
            f"unreadable results ({type(exc).__name__})",
            path=str(path),
            fix="run `agentbench synth rollout` again",
        ) from None


def load_results(out: Path) -> dict[str, Any]:
    """Per-size train/rollout results and the ground truth of a run folder."""
    sizes = []
    for folder in sorted(p for p in out.iterdir() if p.is_dir()) if out.is_dir() else []:
        if not (folder / "rollout.npz").is_file() or not (folder / "train.json").is_file():
            continue
        train = json.loads((folder / "train.json").read_text())
        sizes.append({"size": folder.name, "train": train, **_load_npz(folder / "rollout.npz")})
    if not sizes:
        raise DataError(
            "no size has both train.json and rollout.npz",
            path=str(out),
            fix="run `agentbench synth train` and `agentbench synth rollout` first",
        )
    sizes.sort(key=lambda s: s["train"]["params"])
    gt_file = out / "ground_truth.npz"
    return {"sizes": sizes, "ground_truth": _load_npz(gt_file) if gt_file.is_file() else None}


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    ok = np.isfinite(y)
    if ok.sum() < 3:
        return float("nan")
    rx = np.argsort(np.argsort(x[ok])).astype(float)
    ry = np.argsort(np.argsort(y[ok])).astype(float)
    return float(np.corrcoef(rx, ry)[0, 1])


def _loglog_slope(params: np.ndarray, y: np.ndarray) -> float:
    ok = (y > 0) & np.isfinite(y)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log10(params[ok]), np.log10(y[ok]), 1)[0])


def late_window(steps: np.ndarray) -> np.ndarray:
    """Mask of the recorded steps in the last quarter of the rollout."""
    return steps >= 0.75 * steps[-1]


def summarize(results: dict[str, Any]) -> dict[str, Any]:
    """Figures per size and the two checks of the paper's finding."""
    rows = []
    for s in results["sizes"]:
        steps, inc = s["steps"], s["incoherence"]
        q = [round(f * (len(steps) - 1)) for f in (0.0, 0.25, 0.5, 0.75, 1.0)]
        # one step of a zig-zagging rollout is noisy: the last quarter's mean is steadier
        late = late_window(steps)
        late_b2, late_var = float(s["bias2"][late].mean()), float(s["variance"][late].mean())
        rows.append(
            {
                "size": s["size"],
                "params": int(s["train"]["params"]),
                "heldout_loss": float(s["train"]["heldout_loss"]),
                "untrained_heldout_loss": float(s["train"]["untrained_heldout_loss"]),
                "final_bias2": float(s["bias2"][-1]),
                "final_variance": float(s["variance"][-1]),
                "final_incoherence": float(inc[-1]),
                "final_mean_dist": float(s["mean_dist"][-1]),
                "late_bias2": late_b2,
                "late_variance": late_var,
                "late_incoherence": late_var / (late_b2 + late_var),
                "incoherence_at": {str(int(steps[i])): float(inc[i]) for i in q},
                "peak_incoherence": float(np.nanmax(inc)),
                "peak_step": int(steps[int(np.nanargmax(inc))]),
                "spearman_incoherence_vs_step_to_peak": _spearman(
                    steps[: int(np.nanargmax(inc)) + 1].astype(float),
                    inc[: int(np.nanargmax(inc)) + 1],
                ),
                "spearman_incoherence_vs_step": _spearman(steps.astype(float), inc),
            }
        )
    params = np.array([r["params"] for r in rows], dtype=float)
    bias_slope = _loglog_slope(params, np.array([r["final_bias2"] for r in rows]))
    var_slope = _loglog_slope(params, np.array([r["final_variance"] for r in rows]))
    late_bias_slope = _loglog_slope(params, np.array([r["late_bias2"] for r in rows]))
    late_var_slope = _loglog_slope(params, np.array([r["late_variance"] for r in rows]))
    rises = [r["spearman_incoherence_vs_step"] > 0 for r in rows]
    findings = {
        "incoherence_rises_with_step": {
            "holds_for": [r["size"] for r, ok in zip(rows, rises, strict=True) if ok],
            "fails_for": [r["size"] for r, ok in zip(rows, rises, strict=True) if not ok],
        },
        "bias2_loglog_slope_vs_params": bias_slope,
        "variance_loglog_slope_vs_params": var_slope,
        # the paper: larger models cut bias much faster than variance
        "bias_falls_faster_than_variance": (
            None if len(rows) < 2 else bool(bias_slope < var_slope)
        ),
        "late_bias2_loglog_slope_vs_params": late_bias_slope,
        "late_variance_loglog_slope_vs_params": late_var_slope,
        "late_bias_falls_faster_than_variance": (
            None if len(rows) < 2 else bool(late_bias_slope < late_var_slope)
        ),
    }
    gt = results["ground_truth"]
    ref = None
    if gt is not None:
        ref = {
            "final_bias2": float(gt["bias2"][-1]),
            "final_variance": float(gt["variance"][-1]),
            "final_incoherence": float(gt["incoherence"][-1]),
            "final_mean_dist": float(gt["mean_dist"][-1]),
        }
    return {"sizes": rows, "findings": findings, "ground_truth": ref}


def plot(results: dict[str, Any]) -> dict[str, bytes]:
    """The four figures as PNG bytes, by file name (FIGURES)."""
    sizes = results["sizes"]
    from matplotlib import colormaps

    colors = colormaps["viridis"](np.linspace(0, 0.9, len(sizes)))
    gt = results["ground_truth"]
    params = np.array([s["train"]["params"] for s in sizes], dtype=float)
    out: dict[str, bytes] = {}

    fig = figure(6.0, 4.0)
    ax = fig.subplots()
    for s, c in zip(sizes, colors, strict=True):
        ax.plot(
            s["steps"], s["incoherence"], color=c, label=f"{s['size']} ({s['train']['params']:,})"
        )
    if gt is not None:
        ax.plot(gt["steps"], gt["incoherence"], "k--", lw=1, label="steepest descent")
    ax.set(xlabel="rollout step", ylabel="incoherence (var / error, A-norm)", ylim=(0, 1.02))
    ax.legend(fontsize=8)
    out[FIGURES[0]] = png(fig)

    fig = figure(6.0, 4.0)
    ax = fig.subplots()
    ax.loglog(params, [s["bias2"][-1] for s in sizes], "o-", label="bias² (final step)")
    ax.loglog(params, [s["variance"][-1] for s in sizes], "s-", label="variance (final step)")
    ax.set(xlabel="parameters", ylabel="A-norm squared error")
    ax.legend(fontsize=8)
    out[FIGURES[1]] = png(fig)

    fig = figure(6.0, 4.0)
    ax = fig.subplots()
    ax.semilogx(params, [s["train"]["heldout_loss"] for s in sizes], "o-")
    ax.set(xlabel="parameters", ylabel="held-out loss on update tokens (nats)")
    out[FIGURES[2]] = png(fig)

    fig = figure(6.0, 4.0)
    ax = fig.subplots()
    for s, c in zip(sizes, colors, strict=True):
        ax.semilogy(s["steps"], s["bias2"], color=c, label=f"{s['size']} bias²")
        ax.semilogy(s["steps"], s["variance"], color=c, ls=":", label=f"{s['size']} variance")
    if gt is not None:
        ax.semilogy(gt["steps"], gt["error"], "k--", lw=1, label="steepest descent error")
    ax.set(xlabel="rollout step", ylabel="A-norm squared error")
    ax.legend(fontsize=7, ncol=2)
    out[FIGURES[3]] = png(fig)
    return out


def markdown(summary: dict[str, Any]) -> str:
    """The summary as a short markdown page."""
    lines = [
        "# Synthetic optimizer report",
        "",
        "| size | params | held-out loss | final bias² | final variance | final incoherence "
        "| last-quarter bias² | last-quarter variance | last-quarter incoherence "
        "| mean ‖x−b‖ | ρ(incoh, step) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in summary["sizes"]:
        lines.append(
            f"| {r['size']} | {r['params']:,} | {num(r['heldout_loss'], 4)} | {sig(r['final_bias2'])} "
            f"| {sig(r['final_variance'])} | {num(r['final_incoherence'])} | {sig(r['late_bias2'])} "
            f"| {sig(r['late_variance'])} | {num(r['late_incoherence'])} | {sig(r['final_mean_dist'])} "
            f"| {num(r['spearman_incoherence_vs_step'], 2)} |"
        )
    gt = summary["ground_truth"]
    if gt:
        lines.append(
            f"| steepest descent | – | – | {sig(gt['final_bias2'])} | {sig(gt['final_variance'])} "
            f"| {num(gt['final_incoherence'])} | – | – | – | {sig(gt['final_mean_dist'])} | – |"
        )
    f = summary["findings"]
    lines += [
        "",
        "Incoherence at quantiles of the rollout (step: value):",
        "",
    ]
    for r in summary["sizes"]:
        at = ", ".join(f"{k}: {num(v)}" for k, v in r["incoherence_at"].items())
        lines.append(
            f"- {r['size']}: {at}; peak {num(r['peak_incoherence'])} at step {r['peak_step']}"
        )
    lines += [
        "",
        "## The paper's finding",
        "",
        f"- Incoherence rises with rollout step (Spearman ρ > 0) for: "
        f"{f['incoherence_rises_with_step']['holds_for'] or 'none'}; "
        f"not for: {f['incoherence_rises_with_step']['fails_for'] or 'none'}.",
        f"- Log-log slope vs parameters at the final step: bias² "
        f"{num(f['bias2_loglog_slope_vs_params'], 2)}, "
        f"variance {num(f['variance_loglog_slope_vs_params'], 2)} -> bias falls faster than variance: "
        f"{f['bias_falls_faster_than_variance']}.",
        f"- The same over the last quarter of the rollout: bias² "
        f"{num(f['late_bias2_loglog_slope_vs_params'], 2)}, variance "
        f"{num(f['late_variance_loglog_slope_vs_params'], 2)} -> bias falls faster than variance: "
        f"{f['late_bias_falls_faster_than_variance']}.",
        "",
    ]
    return "\n".join(lines)


def _finite(obj: Any) -> Any:
    """NaN/inf -> None so the summary is strict JSON."""
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


def write_report(run_dir: Path, out: Path | None = None) -> dict[str, Any]:
    """Write the PNGs, summary.json, summary.md and report.html into `out` (default run/report)."""
    out = out or run_dir / "report"
    results = load_results(run_dir)
    summary = summarize(results)
    pngs = plot(results)
    summary["figures"] = list(pngs)
    rep = Report(run_dir=str(run_dir), generated_at=time.time(), synthetic=_finite(summary))
    files = dict(pngs)
    files["summary.json"] = json.dumps(rep.synthetic, indent=2, sort_keys=True).encode()
    files["summary.md"] = markdown(summary).encode()
    files["report.html"] = render_html(
        rep, {k.removesuffix(".png"): v for k, v in pngs.items()}
    ).encode()
    write_files(out, files)
    return summary
