"""decompose_table: optional length, integer answers, every bad input a MetricsInputError."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentbench.metrics import MetricsInputError, decompose_table


def _table(answers: list[int], with_length: bool, length: float = 1.0) -> dict[str, list]:
    n = len(answers)
    t = {
        "question": [f"q{i // 2}" for i in range(n)],
        "system": ["s"] * n,
        "seed": [i % 2 for i in range(n)],
        "outcome": answers,
        "target": [0] * n,
    }
    if with_length:
        t["length"] = [length] * n
    return t


def test_integer_answers_need_n_options_and_then_work() -> None:
    t = _table([0, 1, 0, 0], with_length=False)
    with pytest.raises(MetricsInputError, match=r"row 0: outcome 0 is an option index"):
        decompose_table(t, kind="probs", loss="brier", n_boot=10)
    rows = decompose_table(t, kind="probs", loss="brier", n_boot=10, n_options=3)
    assert rows[0]["accuracy"] == pytest.approx((0.5 + 1) / 2)


@given(st.lists(st.integers(min_value=-3, max_value=5), min_size=4, max_size=12).filter(
    lambda a: len(a) % 2 == 0))  # fmt: skip
@settings(max_examples=30, deadline=None)
def test_any_integer_answers_give_rows_or_a_metrics_error(answers: list[int]) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            decompose_table(_table(answers, False), kind="probs", n_boot=10, n_options=3)
    except MetricsInputError:
        assert any(not 0 <= a < 3 for a in answers)


def test_missing_or_constant_length_skips_grouping_with_a_warning() -> None:
    for t in (_table([0, 1, 0, 0], False), _table([0, 1, 0, 0], True, 5.0)):
        with pytest.warns(UserWarning, match="length groups and halves skipped"):
            rows = decompose_table(t, kind="probs", n_boot=10, n_options=2, groups=2)
        assert [r["group"] for r in rows] == ["all"]
