"""Render a report as ONE self-contained HTML file (plots embedded as base64 PNG)."""

from __future__ import annotations

import base64
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentbench.analysis.compare import Comparison
    from agentbench.analysis.report import Estimate, Report


def num(x: float, digits: int = 3) -> str:
    """A number for a table cell; NaN reads as 'n/a'."""
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:.{digits}g}" if abs(x) >= 1000 else f"{x:.{digits}f}".rstrip("0").rstrip(".") or "0"


def est(e: Estimate) -> str:
    """'0.123 [0.100, 0.150]' for a table cell."""
    if not math.isfinite(e.estimate):
        return "n/a"
    if not (math.isfinite(e.low) and math.isfinite(e.high)):
        return f"{e.estimate:.3f}"
    return f"{e.estimate:.3f} [{e.low:.3f}, {e.high:.3f}]"


def estd(e: dict) -> str:  # type: ignore[type-arg]
    """est() of an estimate given as its JSON dict (the comparison in a report)."""
    from agentbench.analysis.report import Estimate

    return est(Estimate.model_validate(e))


def length_points(rep: Report) -> int:
    """How many points the incoherence-by-length plot draws (groups with a defined value)."""
    return sum(math.isfinite(g.cell.incoherence.estimate) for s in rep.systems for g in s.groups)


def _env():  # type: ignore[no-untyped-def]
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("agentbench.analysis", "templates"),
        autoescape=True,
        extensions=["jinja2.ext.do"],
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(num=num, est=est, estd=estd)
    return env


def render_html(rep: Report, pngs: dict[str, bytes]) -> str:
    """The HTML text of the report with every PNG inlined."""
    encoded = {k: base64.b64encode(v).decode("ascii") for k, v in pngs.items()}
    for k in ("decomposition", "incoherence_by_length", "short_long_halves"):
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
