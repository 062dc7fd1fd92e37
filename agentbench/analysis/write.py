"""Write a report or a comparison to a folder so that a reader never sees a half-written file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from agentbench.analysis.html import render_compare_html, render_html
from agentbench.analysis.plots import compare_plot, report_plots
from agentbench.analysis.types import Comparison, Report
from agentbench.errors import make_dir


def write_files(out_dir: Path, files: dict[str, bytes]) -> None:
    """Write each file to a temporary name in `out_dir`, then rename it into place."""
    make_dir(out_dir, what="the output folder", fix="pass a writable --out folder")
    for name, data in files.items():
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=out_dir)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; reports are meant to be shared
            os.replace(tmp, out_dir / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def write_report(rep: Report, out_dir: str | Path | None = None) -> Path:
    """Write the plots (PNG), report.json and report.html (default RUN/report); return the HTML."""
    out = Path(out_dir) if out_dir is not None else Path(rep.run_dir) / "report"
    pngs = report_plots(rep)
    files = {f"{name}.png": data for name, data in pngs.items()}
    files["report.json"] = rep.model_dump_json(indent=2).encode()
    files["report.html"] = render_html(rep, pngs).encode()
    write_files(out, files)
    return out / "report.html"


def write_comparison(comps: list[Comparison], out_dir: str | Path) -> Path:
    """compare.json, one PNG per outcome kind and compare.html in `out_dir`; returns the HTML."""
    out = Path(out_dir)
    pngs = [compare_plot(c) for c in comps]
    files = {f"compare_{c.kind}.png": p for c, p in zip(comps, pngs, strict=True)}
    files["compare.json"] = (
        "[" + ",".join(c.model_dump_json(indent=2) for c in comps) + "]"
    ).encode()
    files["compare.html"] = render_compare_html(comps, pngs).encode()
    write_files(out, files)
    return out / "compare.html"
