"""The one number formatter: fixed decimals, n/a for undefined, no sign on a rounded zero."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from agentbench.analysis.fmt import num, sig, stacked
from agentbench.analysis.types import Estimate


def test_fixed_decimals_and_undefined() -> None:
    assert (num(0.5), num(None), num(math.nan), num(math.inf)) == ("0.500", "n/a", "n/a", "n/a")
    assert sig(1.234e-5) == "1.23e-05"


def test_a_float_error_below_the_digits_prints_as_zero() -> None:
    # a variance of -1e-17 (cancellation) used to print "-0.000" and "[-.00,-.00]"
    assert num(-1e-17) == "0.000" and sig(-0.0) == "0"
    assert stacked(Estimate(estimate=-1e-17, low=-2e-17, high=-1e-18)) == "0.000\n[.00,.00]"
    assert num(-0.0004) == "0.000" and num(-0.0006) == "-0.001"  # a real negative keeps it


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6))
def test_the_printed_number_rounds_to_the_value(x: float) -> None:
    s = num(x)
    assert abs(float(s) - x) <= 0.0005 + 1e-9 and not s.startswith("-0.000")
