"""Render a report as ONE self-contained HTML file (plots embedded as base64 PNG)."""

from __future__ import annotations

import base64
import math

from agentbench.analysis import fmt
from agentbench.analysis.types import Comparison, Report

PLOT_STEMS = ("decomposition", "incoherence_by_length", "short_long_halves",
              "incoherence_vs_length", "overthinking", "budgets", "ensemble", "open_variance")  # fmt: skip


def length_points(rep: Report) -> int:
    """How many points the incoherence-by-length plot draws (groups with a defined value)."""
    return sum(math.isfinite(c.incoherence.estimate) for s in rep.systems for c in s.length_cells())


def _env():  # type: ignore[no-untyped-def]
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("agentbench.analysis", "templates"),
        autoescape=True,
        extensions=["jinja2.ext.do"],
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(num=fmt.num, sig=fmt.sig, est=fmt.est, ci=fmt.ci)
    return env


def render_html(rep: Report, pngs: dict[str, bytes]) -> str:
    """The HTML text of the report with every PNG inlined."""
    encoded = {k: base64.b64encode(v).decode("ascii") for k, v in pngs.items()}
    for k in PLOT_STEMS:
        encoded.setdefault(k, "")
    title = rep.run_dir.rstrip("/").rsplit("/", 1)[-1]
    return (
        _env()
        .get_template("report.html.j2")
        .render(rep=rep, pngs=encoded, title=title, length_points=length_points(rep))
    )


def render_compare_html(comps: list[Comparison], pngs: list[bytes]) -> str:
    """The comparison as one self-contained HTML page."""
    encoded = [base64.b64encode(p).decode("ascii") for p in pngs]
    return _env().get_template("compare.html.j2").render(comps=comps, pngs=encoded)
