"""Agentic coding (METHODS.md §2b): binary per-test outcome vectors, ragged across instances.

Instance i has R_i unrolls and T_i tests. The store is one flat uint8 array: for each
instance in turn, its (R_i, T_i) matrix in row-major order (one row per unroll). The
target is all ones, so only per-test pass counts matter for the decomposition.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from agentbench.metrics._checks import check_min_unrolls
from agentbench.metrics.decomposition import Decomposition
from agentbench.metrics.exceptions import MetricsInputError


def _as_binary(values: object, name: str) -> np.ndarray:
    """`values` as a contiguous 1-D uint8 array (no copy when it already is one); 0/1 only."""
    arr = np.asarray(values)
    if arr.dtype == np.bool_:
        return np.ascontiguousarray(arr.reshape(-1)).view(np.uint8)
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
    return np.ascontiguousarray(arr.reshape(-1), dtype=np.uint8)


@dataclass(frozen=True, eq=False)
class RaggedTests:
    """Binary test outcomes of many instances with their own unroll and test counts.

    `values` is not copied when it is already a contiguous uint8 array: do not modify it
    afterwards.
    """

    values: np.ndarray  # flat uint8, instance blocks back to back
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
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        return cls(values=flat, n_runs=runs, n_tests=tests, offsets=offsets)

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

    @cached_property
    def groups(self) -> list[np.ndarray]:
        """Instance indices per group of instances sharing R and T, in `blocks()` order."""
        key = self.n_runs * (int(self.n_tests.max()) + 1) + self.n_tests
        order = np.argsort(key, kind="stable")
        cuts = np.flatnonzero(np.diff(key[order])) + 1
        return np.split(order, cuts)

    def blocks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(instance indices, outcomes (n, R, T)) per group of instances sharing R and T."""
        for idx in self.groups:
            r, t = int(self.n_runs[idx[0]]), int(self.n_tests[idx[0]])
            # A view in which [s] is the (R, T) block starting at offset s: gathering the
            # blocks of all instances of this shape is then one indexing operation.
            # (np.ndarray over the buffer: as_strided costs several µs more per group.)
            view = np.ndarray(
                shape=(self.values.size - r * t + 1, r, t),
                dtype=np.uint8,
                buffer=self.values,
                strides=(1, t, 1),
            )
            yield idx, view[self.offsets[idx]]

    def rows(self) -> np.ndarray:
        """(Q, max R, max T) uint8 outcomes, zero-padded in both ragged axes."""
        out = np.zeros(
            (self.n_instances, int(self.n_runs.max()), int(self.n_tests.max())), dtype=np.uint8
        )
        for idx, block in self.blocks():
            out[idx, : block.shape[1], : block.shape[2]] = block
        return out

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


def as_ragged(tests: RaggedTests | Sequence[object]) -> RaggedTests:
    """Accept a RaggedTests or a sequence of (R_i, T_i) arrays."""
    return tests if isinstance(tests, RaggedTests) else RaggedTests.from_arrays(tests)


def _pass_counts(rt: RaggedTests) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every instance's per-test pass counts back to back, the instance order and the starts.

    Instances come in `blocks()` order (grouped by shape); `starts[k]` is where the k-th
    instance of `order` begins in the counts.
    """
    order = np.concatenate(rt.groups)
    starts = np.concatenate([[0], np.cumsum(rt.n_tests[order])])
    # Counts up to R fit the narrowest unsigned type that holds the largest R: einsum then
    # sums in that type (a uint8 sum over the unroll axis is a few times faster than
    # numpy's reduction over a middle axis, and exact while R < 256).
    dtype = np.uint8 if int(rt.n_runs.max()) < 256 else np.uint32
    counts = np.empty(int(starts[-1]), dtype=dtype)
    pos = 0
    for idx, block in rt.blocks():  # one group gathered at a time: no copy of all outcomes
        n, t = idx.size, block.shape[2]
        out = counts[starts[pos] : starts[pos + n]].reshape(n, t)
        np.einsum("irt->it", block, out=out, dtype=dtype, casting="safe")
        pos += n
    return counts, order, starts[:-1]


def decompose_tests(tests: RaggedTests | Sequence[object]) -> Decomposition:
    """Per-instance BIAS², VARIANCE, ERROR of binary test vectors against all-pass (§2b)."""
    rt = as_ragged(tests)
    # Per instance, the sum of its pass counts n_j and of their squares: with ȳ_j = n_j / R
    # every term of §2b is an integer over R²·T, so each is computed exactly and rounded once.
    counts, order, starts = _pass_counts(rt)
    f = counts.astype(np.float64)
    s1, s2 = np.empty(rt.n_instances), np.empty(rt.n_instances)
    s1[order] = np.add.reduceat(f, starts)
    np.multiply(f, f, out=f)
    s2[order] = np.add.reduceat(f, starts)
    r = rt.n_runs.astype(np.float64)
    rt_cells = r * rt.n_tests
    r2t = r * rt_cells
    return Decomposition(
        bias2=(r2t - 2.0 * r * s1 + s2) / r2t,  # mean_j (1 − ȳ_j)²
        variance=(r * s1 - s2) / r2t,  # mean_r (y − ȳ)² = ȳ(1 − ȳ)
        error=(rt_cells - s1) / rt_cells,
    )


def resolved_rate(tests: RaggedTests | Sequence[object]) -> np.ndarray:
    """Per instance: the fraction of unrolls in which every test passes."""
    rt = as_ragged(tests)
    out = np.empty(rt.n_instances)
    for idx, block in rt.blocks():
        out[idx] = (block.min(axis=2) == 1).mean(axis=1)
    return out
