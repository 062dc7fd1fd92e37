"""Bad input raises MetricsInputError with a message that says what and where."""

from __future__ import annotations

import numpy as np
import pytest

from agentbench.metrics import (
    MetricsInputError,
    RaggedTests,
    bootstrap,
    decompose_brier,
    decompose_kl,
    decompose_table,
    decompose_tests,
    decompose_vector,
    ensemble_curve,
    group_by_length,
    make_tests_model,
    pass_at_k,
)


def test_metrics_input_error_is_a_value_error() -> None:
    assert issubclass(MetricsInputError, ValueError)


def test_probabilities_must_sum_to_one() -> None:
    probs = np.full((2, 3, 4), 0.25)
    probs[1, 2] = [0.5, 0.5, 0.5, 0.0]
    with pytest.raises(MetricsInputError, match=r"question 1, unroll 2 sums to 1\.5"):
        decompose_kl(probs, [0, 0])
    probs[1, 2] = [1.2, -0.2, 0.0, 0.0]
    with pytest.raises(MetricsInputError, match="negative"):
        decompose_brier(probs, [0, 0])


@pytest.mark.parametrize("fn", [decompose_kl, decompose_brier], ids=["kl", "brier"])
@pytest.mark.parametrize(
    ("row", "msg"),
    [
        ([0.5, 0.5, 0.5, 0.0], "question 900, unroll 7 sums to 1.5"),
        ([1.5, -0.5, 0.0, 0.0], "question 900, unroll 7 has a negative probability"),
        ([np.nan, 0.5, 0.5, 0.0], "question 900, unroll 7 has a non-finite probability"),
    ],
    ids=["sum", "negative", "nan"],
)
def test_a_bad_unroll_far_into_a_large_input_is_named(fn: object, row: list, msg: str) -> None:
    # Large inputs are validated chunk by chunk while they are reduced: a bad row in a late
    # chunk must still be found and named, with the same message as a small input gets.
    probs = np.full((1000, 20, 4), 0.25)
    probs[900, 7] = row
    with pytest.raises(MetricsInputError, match=msg):
        fn(probs, np.zeros(1000, dtype=int))  # type: ignore[operator]


def test_target_out_of_range() -> None:
    probs = np.full((2, 3, 4), 0.25)
    with pytest.raises(MetricsInputError, match=r"question 1 has target 4, outside 0\.\.3"):
        decompose_kl(probs, [0, 4])
    with pytest.raises(MetricsInputError, match="target"):
        decompose_brier(probs, [0])
    with pytest.raises(MetricsInputError, match="integers"):
        decompose_brier(probs, [0.5, 1])


def test_ragged_where_it_cannot_be() -> None:
    with pytest.raises(MetricsInputError, match="cannot be read"):
        decompose_kl([[[0.5, 0.5], [1.0, 0.0, 0.0]]], [0])
    with pytest.raises(MetricsInputError, match="shape"):
        decompose_tests([np.ones(3)])
    with pytest.raises(MetricsInputError, match="Σ n_runs·n_tests"):
        RaggedTests.from_flat(np.ones(11, int), [2, 3], [2, 2])
    rows = {
        "question": ["a", "a", "b", "b"],
        "system": ["s"] * 4,
        "seed": [0, 1, 0, 1],
        "length": [1, 2, 3, 4],
        "outcome": [[1, 0], [1], [1], [0]],
    }
    with pytest.raises(MetricsInputError, match="question 'a' has test vectors of lengths"):
        decompose_table(rows, kind="tests")
    rows["outcome"] = [[0.5, 0.5], [1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    with pytest.raises(MetricsInputError, match="outcome vectors of lengths"):
        decompose_table({**rows, "target": [0] * 4}, kind="probs")


def test_fewer_than_two_unrolls() -> None:
    with pytest.raises(MetricsInputError, match="question 0 has 1 unroll"):
        decompose_kl(np.full((1, 1, 2), 0.5), [0])
    mask = np.array([[True, True], [True, False]])
    with pytest.raises(MetricsInputError, match="question 1 has 1 unroll"):
        decompose_brier(np.full((2, 2, 2), 0.5), [0, 1], mask)
    with pytest.raises(MetricsInputError, match="at least 2"):
        decompose_tests([np.ones((2, 2)), np.ones((1, 3))])
    with pytest.raises(MetricsInputError, match="at least 2"):
        decompose_vector(np.zeros((1, 3)), np.zeros(3))


def test_other_bad_values() -> None:
    with pytest.raises(MetricsInputError, match="0 or 1"):
        decompose_tests([np.full((2, 2), 0.5)])
    with pytest.raises(MetricsInputError, match="non-finite"):
        decompose_kl(np.array([[[np.nan, 1.0], [0.0, 1.0]]]), [0])
    with pytest.raises(MetricsInputError, match="positive semi-definite"):
        decompose_vector(np.zeros((2, 2)), np.zeros(2), [[1.0, 0.0], [0.0, -1.0]])
    with pytest.raises(MetricsInputError, match=r"0\.\.n"):
        pass_at_k(3, 4, 1)
    with pytest.raises(MetricsInputError, match="confidence"):
        bootstrap(make_tests_model([np.ones((2, 2))]), confidence=1.5)
    with pytest.raises(MetricsInputError, match="disjoint ensembles"):
        ensemble_curve(np.full((1, 6, 2), 0.5), [0], sizes=(4,))
    with pytest.raises(MetricsInputError, match="k=3 groups"):
        group_by_length(["a", "b"], [1.0, 2.0], 3)


def test_table_column_and_duplicate_errors() -> None:
    rows = {
        "question": ["a", "a"],
        "system": ["s", "s"],
        "seed": [0, 0],
        "length": [1, 1],
        "outcome": [[1], [0]],
    }
    with pytest.raises(MetricsInputError, match="repeats system 's', question 'a', seed 0"):
        decompose_table(rows, kind="tests")
    with pytest.raises(MetricsInputError, match="column 'target' is missing"):
        decompose_table(rows, kind="probs")
    with pytest.raises(MetricsInputError, match="kind"):
        decompose_table(rows, kind="letters")  # type: ignore[arg-type]
