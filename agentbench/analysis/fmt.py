"""The one number formatter of every report renderer (terminal, HTML, markdown)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from agentbench.analysis.types import Estimate


def num(x: float | None, digits: int = 3) -> str:
    """A number with `digits` decimals (0.5 -> '0.500'); None or NaN reads as 'n/a'."""
    if x is None or not math.isfinite(x):
        return "n/a"
    return _unsigned_zero(f"{x:.{digits}f}")


def sig(x: float | None, digits: int = 3) -> str:
    """A number with `digits` significant digits (for values over many decades: 1.23e-05)."""
    if x is None or not math.isfinite(x):
        return "n/a"
    return _unsigned_zero(f"{x:.{digits}g}")


def _unsigned_zero(s: str) -> str:
    """'-0.000' -> '0.000': a float error below the shown digits has no sign worth printing."""
    return s[1:] if s.startswith("-") and float(s) == 0 else s


def _parts(e: Estimate | Mapping[str, Any]) -> tuple[float, float, float]:
    if isinstance(e, Estimate):
        return e.estimate, e.low, e.high
    return e["estimate"], e["low"], e["high"]


def est(e: Estimate | Mapping[str, Any], digits: int = 3) -> str:
    """'0.123 [0.100, 0.150]'; the estimate alone when its interval is undefined."""
    x, lo, hi = _parts(e)
    if not math.isfinite(x):
        return "n/a"
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return num(x, digits)
    return f"{num(x, digits)} [{num(lo, digits)}, {num(hi, digits)}]"


def row_estimate(row: Mapping[str, Any], name: str) -> Estimate:
    """Statistic `name` of a decomposition row (`name`, `name_low`, `name_high`)."""
    nan = float("nan")
    return Estimate(
        estimate=nan if row.get(name) is None else row[name],
        low=nan if row.get(f"{name}_low") is None else row[f"{name}_low"],
        high=nan if row.get(f"{name}_high") is None else row[f"{name}_high"],
    )


def ci(row: Mapping[str, Any], name: str, digits: int = 3) -> str:
    """est() of a decomposition row's statistic."""
    return est(row_estimate(row, name), digits)


def _short(x: float) -> str:
    """A number in at most 4 characters: 0.123 -> .12, -0.05 -> -.05, 1.0 -> 1.00."""
    s = num(x, 2)
    return s.replace("0.", ".", 1) if s.startswith(("0.", "-0.")) else s


def stacked(e: Estimate | Mapping[str, Any]) -> str:
    """'0.123' over '[.100,.150]': the estimate and its interval on two short lines."""
    x, lo, hi = _parts(e)
    if not math.isfinite(x):
        return "n/a"
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return num(x)
    return f"{num(x)}\n[{_short(lo)},{_short(hi)}]"
