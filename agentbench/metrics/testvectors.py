"""Agentic coding (METHODS.md §2b): binary per-test outcome vectors, ragged across instances.

Instance i has R_i unrolls and T_i tests. The store is one flat uint8 array: for each
instance in turn, its (R_i, T_i) matrix in row-major order (one row per unroll). The
target is all ones, so only per-test pass counts matter for the decomposition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agentbench.metrics._checks import check_min_unrolls
from agentbench.metrics.decomposition import Decomposition
from agentbench.metrics.exceptions import MetricsInputError

_BLOCK = 1024  # instances per block in decompose_tests


def _as_binary(values: object, name: str) -> np.ndarray:
    """A 1-D uint8 copy of `values`, which must hold only 0 and 1."""
    arr = np.asarray(values)
    if arr.dtype == np.bool_:
        return arr.reshape(-1).view(np.uint8)
    if arr.dtype.kind == "u":
        ok = arr.size == 0 or arr.max() <= 1
    elif arr.dtype.kind == "i":
        ok = arr.size == 0 or (arr.min() >= 0 and arr.max() <= 1)
    elif arr.dtype.kind == "f":
        ok = bool(np.all((arr == 0) | (arr == 1)))
    else:
        ok = False
    if not ok:
        raise MetricsInputError(f"{name}: test outcomes must be 0 or 1 (pass = 1, fail = 0)")
    return arr.reshape(-1).astype(np.uint8)


@dataclass(frozen=True, eq=False)
class RaggedTests:
    """Binary test outcomes of many instances with their own unroll and test counts."""

    values: np.ndarray  # flat uint8, followed by max(n_tests) zeros (read-ahead room)
    n_runs: np.ndarray  # (Q,) int64
    n_tests: np.ndarray  # (Q,) int64
    offsets: np.ndarray  # (Q,) start of each instance in `values`

    @classmethod
    def from_flat(cls, values: object, n_runs: object, n_tests: object) -> RaggedTests:
        """Build from a flat array of row-major (R_i, T_i) blocks and the per-instance counts."""
        runs = np.asarray(n_runs, dtype=np.int64).reshape(-1)
        tests = np.asarray(n_tests, dtype=np.int64).reshape(-1)
        if runs.shape != tests.shape:
            raise MetricsInputError(
                f"n_runs has {runs.size} instances but n_tests has {tests.size}; give one count each"
            )
        if runs.size == 0:
            raise MetricsInputError("tests: no instances given; pass at least one (R_i, T_i) block")
        if (tests < 1).any():
            q = int(np.flatnonzero(tests < 1)[0])
            raise MetricsInputError(
                f"n_tests: instance {q} has no tests; every instance needs >= 1"
            )
        check_min_unrolls(runs, "tests")
        flat = _as_binary(values, "tests")
        sizes = runs * tests
        if flat.size != int(sizes.sum()):
            raise MetricsInputError(
                f"tests: flat array has {flat.size} values but Σ n_runs·n_tests = {int(sizes.sum())}"
            )
        t_max = int(tests.max())
        buf = np.concatenate([flat, np.zeros(t_max, dtype=np.uint8)])
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        return cls(values=buf, n_runs=runs, n_tests=tests, offsets=offsets[: runs.size])

    @classmethod
    def from_arrays(cls, arrays: Sequence[object]) -> RaggedTests:
        """Build from one (R_i, T_i) 0/1 array per instance."""
        mats = [np.asarray(a) for a in arrays]
        for i, a in enumerate(mats):
            if a.ndim != 2:
                raise MetricsInputError(
                    f"tests: instance {i} has shape {a.shape}; expected (unrolls, tests)"
                )
        runs = [a.shape[0] for a in mats]
        tests = [a.shape[1] for a in mats]
        flat = np.concatenate([a.reshape(-1) for a in mats]) if mats else np.zeros(0, np.uint8)
        return cls.from_flat(flat, runs, tests)

    @property
    def n_instances(self) -> int:
        """Number of instances (questions)."""
        return int(self.n_runs.size)

    def rows(self) -> np.ndarray:
        """(Q, max R, max T) uint8 outcomes, zero-padded in both ragged axes."""
        out = _window_rows(self)
        out *= self.test_mask()[:, None, :]
        return out

    def test_mask(self) -> np.ndarray:
        """(Q, max T) True where test j exists for instance i."""
        return np.arange(int(self.n_tests.max())) < self.n_tests[:, None]

    def run_mask(self) -> np.ndarray:
        """(Q, max R) True where unroll r exists for instance i."""
        return np.arange(int(self.n_runs.max())) < self.n_runs[:, None]

    def subset(self, index: object) -> RaggedTests:
        """The instances at `index` (any integer index array), in that order."""
        idx = np.asarray(index, dtype=np.int64).reshape(-1)
        parts = [
            self.values[o : o + r * t]
            for o, r, t in zip(self.offsets[idx], self.n_runs[idx], self.n_tests[idx], strict=True)
        ]
        flat = np.concatenate(parts) if parts else np.zeros(0, np.uint8)
        return RaggedTests.from_flat(flat, self.n_runs[idx], self.n_tests[idx])


def _pass_counts(tests: RaggedTests, index: np.ndarray | None = None) -> np.ndarray:
    """(n, max T over `index`) passing unrolls per test; cells past T_i hold garbage."""
    idx = np.arange(tests.n_instances) if index is None else index
    n_runs, n_tests = tests.n_runs[idx], tests.n_tests[idx]
    t_max, r_max = int(n_tests.max()), int(n_runs.max())
    window = np.lib.stride_tricks.sliding_window_view(tests.values, t_max)
    r = np.arange(r_max)
    starts = tests.offsets[idx, None] + r * n_tests[:, None]
    starts = np.where(r < n_runs[:, None], starts, tests.values.size - t_max)
    acc = np.zeros((idx.size, t_max), dtype=np.uint8 if r_max < 256 else np.uint32)
    # One unroll position at a time: a (n, max T) gather per step stays in cache, where
    # gathering the whole (n, R, T) block first would stream it through memory twice.
    for k in range(r_max):
        acc += window[starts[:, k]]
    return acc


def _row_starts(tests: RaggedTests, r_max: int, t_max: int) -> np.ndarray:
    """(Q, max R) offset of each unroll's row; missing unrolls point at the trailing zeros."""
    r = np.arange(r_max)
    starts = tests.offsets[:, None] + r * tests.n_tests[:, None]
    return np.where(r < tests.n_runs[:, None], starts, tests.values.size - t_max)


def _window_rows(tests: RaggedTests) -> np.ndarray:
    """Padded rows without zeroing cells past T_i (callers mask them)."""
    t_max = int(tests.n_tests.max())
    r_max = int(tests.n_runs.max())
    window = np.lib.stride_tricks.sliding_window_view(tests.values, t_max)
    return window[_row_starts(tests, r_max, t_max)]


def tests_from_mean(
    mean_pass: np.ndarray, test_mask: np.ndarray, n_tests: np.ndarray
) -> Decomposition:
    """Decomposition from ȳ (..., Q, max T), the per-test pass rate; padded cells ignored."""
    y = np.where(test_mask, mean_pass, 1.0)  # a padded test "always passes": adds 0 below
    miss = 1.0 - y
    error = miss.sum(axis=-1) / n_tests
    bias2 = np.einsum("...j,...j->...", miss, miss) / n_tests
    variance = np.einsum("...j,...j->...", y, miss) / n_tests
    return Decomposition(bias2=bias2, variance=variance, error=error)


def as_ragged(tests: RaggedTests | Sequence[object]) -> RaggedTests:
    """Accept a RaggedTests or a sequence of (R_i, T_i) arrays."""
    return tests if isinstance(tests, RaggedTests) else RaggedTests.from_arrays(tests)


def decompose_tests(tests: RaggedTests | Sequence[object]) -> Decomposition:
    """Per-instance BIAS², VARIANCE, ERROR of binary test vectors against all-pass (§2b)."""
    rt = as_ragged(tests)
    q = rt.n_instances
    bias2, variance, error = np.empty(q), np.empty(q), np.empty(q)
    # Instances sorted by test count and taken in blocks, so each block pads only to its
    # own largest T: about half the work of padding everything to the global maximum.
    order = np.argsort(rt.n_tests, kind="stable")
    for block in np.array_split(order, max(1, q // _BLOCK)):
        counts = _pass_counts(rt, block)
        y = counts / rt.n_runs[block, None]
        y[np.arange(y.shape[1]) >= rt.n_tests[block, None]] = 1.0  # padding: adds 0 below
        miss = 1.0 - y
        n_t = rt.n_tests[block]
        error[block] = miss.sum(axis=1) / n_t
        bias2[block] = np.einsum("ij,ij->i", miss, miss) / n_t
        variance[block] = np.einsum("ij,ij->i", y, miss) / n_t
    return Decomposition(bias2=bias2, variance=variance, error=error)


def resolved_rate(tests: RaggedTests | Sequence[object]) -> np.ndarray:
    """Per instance: the fraction of unrolls in which every test passes."""
    rt = as_ragged(tests)
    rows = _window_rows(rt)
    passed = np.where(rt.test_mask()[:, None, :], rows, 0).sum(axis=-1)
    ok = (passed == rt.n_tests[:, None]) & rt.run_mask()
    return ok.sum(axis=1) / rt.n_runs
