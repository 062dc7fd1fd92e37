"""Length groups, reuse of a reference grouping, the median split and ensembles."""

from __future__ import annotations

import numpy as np
import pytest

from agentbench.metrics import (
    MetricsInputError,
    ensemble_curve,
    group_by_length,
    median_split,
)


def test_equal_size_groups_ordered_by_length() -> None:
    rng = np.random.default_rng(0)
    ids = [f"q{i}" for i in range(23)]
    lengths = rng.permutation(23).astype(float)
    g = group_by_length(ids, lengths, 5)
    labels = g.groups_of(ids)
    sizes = np.bincount(labels, minlength=5)
    assert sizes.max() - sizes.min() <= 1 and sizes.sum() == 23
    for k in range(4):  # every question of group k is shorter than every one of group k+1
        assert lengths[labels == k].max() < lengths[labels == k + 1].min()
    np.testing.assert_array_equal(g.edges, [lengths[labels == k].max() for k in range(4)])


def test_grouping_ignores_input_order_and_breaks_ties_by_id() -> None:
    ids = ["d", "a", "c", "b"]
    g1 = group_by_length(ids, [1.0, 1.0, 1.0, 1.0], 2)
    g2 = group_by_length(ids[::-1], [1.0] * 4, 2)
    assert g1.assignment == g2.assignment == {"a": 0, "b": 0, "c": 1, "d": 1}


def test_reuse_reference_grouping() -> None:
    ids = ["a", "b", "c", "d"]
    ref = group_by_length(ids, [1.0, 2.0, 3.0, 4.0], 2)
    # Another system with reversed lengths keeps the reference's question groups...
    reused = group_by_length(ids, [4.0, 3.0, 2.0, 1.0], 2, reference=ref)
    assert reused.assignment == ref.assignment
    # ...or bins its own lengths by the reference edges.
    by_edges = group_by_length(ids, [4.0, 3.0, 2.0, 1.0], reference=ref, mode="edges")
    assert by_edges.assignment == {"a": 1, "b": 1, "c": 0, "d": 0}
    with pytest.raises(MetricsInputError, match="not in the reference grouping"):
        group_by_length(["zz"], [1.0], reference=ref)


def test_median_split_halves_and_ties() -> None:
    lengths = np.array(
        [
            [5, 1, 3, 2, 4, 6],  # distinct
            [2, 2, 2, 2, 2, 2],  # all tied: split by position
            [1, 9, 5, 7, 3, 0],  # odd count after masking the last unroll
        ],
        dtype=float,
    )
    mask = np.ones_like(lengths, dtype=bool)
    mask[2, 5] = False
    halves = median_split(lengths, mask)
    np.testing.assert_array_equal(halves[0], [1, 0, 0, 0, 1, 1])
    np.testing.assert_array_equal(halves[1], [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(halves[2], [0, 1, -1, 1, 0, -1])  # median (5) dropped


def test_ensemble_curve_keeps_bias_and_counts_ensembles() -> None:
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(3), size=(5, 12))
    target = rng.integers(0, 3, size=5)
    curve = ensemble_curve(probs, target, sizes=(1, 2, 3, 6), loss="brier")
    assert [p.n_ensembles for p in curve] == [12, 6, 4, 2]
    assert [p.size for p in curve] == [1, 2, 3, 6]
    for p in curve:  # all 12 unrolls are used at every size: the mean prediction is fixed
        assert p.bias2 == pytest.approx(curve[0].bias2)
        assert p.bias2 + p.variance == pytest.approx(p.error)
    kl = ensemble_curve(probs, target, sizes=(1, 4), loss="kl", seed=3)
    assert kl[1].variance < kl[0].variance
