"""Metrics core speed: vectorised decompositions vs a per-question Python loop, same run.

Run: .venv/bin/python bench/metrics.py [--repeats N]
(a) KL and Brier on 10,000 questions x 100 unrolls x 4 options (stated distributions);
(b) binary test vectors for 10,000 instances x 30 runs x 1..200 tests (ragged).
Each figure is the median of several repeats; the loop baseline follows METHODS.md §2
literally, one question at a time, and both results are checked to agree. "budget" is the
loop's time / 50 (the issue's target ratio). The "floor" lines time single numpy passes
that any exact method must make at least once (one read of the input; for KL on stated
probabilities one log per value), in the same run, to show how far below them the
budget lies. RaggedTests caches its shape grouping on first use, so "already built"
repeats exclude that one argsort; "from flat array" includes it.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as the target states
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from agentbench.metrics import (
    DELTA,
    RaggedTests,
    decompose_brier,
    decompose_kl,
    decompose_tests,
)


def timed_pair(
    ours: Callable[[], object], loop: Callable[[], object], repeats: int, loop_repeats: int
) -> tuple[float, object, float, object]:
    """Median wall times of both, interleaved so that a change in machine load hits both."""
    t_ours: list[float] = []
    t_loop: list[float] = []
    out_ours = out_loop = None
    for i in range(max(repeats, loop_repeats)):
        if i < repeats:
            t0 = time.perf_counter()
            out_ours = ours()
            t_ours.append(time.perf_counter() - t0)
        if i < loop_repeats:
            t0 = time.perf_counter()
            out_loop = loop()
            t_loop.append(time.perf_counter() - t0)
    return statistics.median(t_ours), out_ours, statistics.median(t_loop), out_loop


def kl_loop(probs: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per question: smoothed log-probs, normalised geometric mean, KL terms (METHODS §2a)."""
    c = probs.shape[2]
    out = np.empty((probs.shape[0], 3))
    for q in range(probs.shape[0]):
        p = (probs[q] + DELTA) / (1 + c * DELTA)
        logp = np.log(p)
        g = np.exp(logp.mean(axis=0))
        p_bar = g / g.sum()
        t = target[q]
        bias2 = -math.log(p_bar[t])
        variance = float(np.mean(np.sum(p_bar * (np.log(p_bar) - logp), axis=1)))
        error = float(-logp[:, t].mean())
        out[q] = (bias2, variance, error)
    return out


def brier_loop(probs: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per question: arithmetic mean prediction and squared distances (METHODS §2a)."""
    c = probs.shape[2]
    out = np.empty((probs.shape[0], 3))
    for q in range(probs.shape[0]):
        y = np.zeros(c)
        y[target[q]] = 1.0
        p = probs[q]
        p_hat = p.mean(axis=0)
        out[q] = (
            np.sum((y - p_hat) ** 2),
            np.mean(np.sum((p - p_hat) ** 2, axis=1)),
            np.mean(np.sum((y - p) ** 2, axis=1)),
        )
    return out


def tests_loop(arrays: list[np.ndarray]) -> np.ndarray:
    """Per instance: the §2b formulas on its (R, T) matrix."""
    out = np.empty((len(arrays), 3))
    for i, y in enumerate(arrays):
        yf = y.astype(np.float64)
        y_bar = yf.mean(axis=0)
        out[i] = (((1 - y_bar) ** 2).mean(), ((yf - y_bar) ** 2).mean(), ((1 - yf) ** 2).mean())
    return out


def stack(d: object) -> np.ndarray:
    """(Q, 3) bias², variance, error of a Decomposition."""
    return np.stack([d.bias2, d.variance, d.error], axis=1)  # type: ignore[attr-defined]


def report(name: str, ours: float, base: float, err: float) -> None:
    """One line: our median, the loop's median, the ratio, the 50x budget, the disagreement."""
    print(
        f"{name:<44} ours {ours * 1e3:8.1f} ms   loop {base * 1e3:8.1f} ms   "
        f"ratio {base / ours:6.1f}x   budget {base / 50 * 1e3:5.1f} ms   max |diff| {err:.1e}"
    )


def floor(name: str, fn: Callable[[], object], repeats: int) -> None:
    """One line: the median time of a single numpy pass that bounds every exact method."""
    times = []
    for _ in range(max(repeats, 5)):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    print(f"  floor: {name:<36} {statistics.median(times) * 1e3:8.1f} ms")


def main() -> None:
    """Build the data, time both ways, print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--loop-repeats", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)

    q, r, c = 10_000, 100, 4
    probs = rng.dirichlet(np.full(c, 0.5), size=(q, r))
    target = rng.integers(0, c, size=q)
    print(
        f"(a) categorical: {q:,} questions x {r} unrolls x {c} options; "
        f"median of {args.repeats} (ours) / {args.loop_repeats} (loop) runs"
    )
    letters = np.eye(c)[probs.argmax(axis=-1)]  # one-hot letter answers
    for name, ours_fn, loop_fn, x in (
        ("KL (validated input)", decompose_kl, kl_loop, probs),
        ("Brier (validated input)", decompose_brier, brier_loop, probs),
        ("KL, one-hot letter answers", decompose_kl, kl_loop, letters),
    ):
        t_ours, d, t_loop, ref = timed_pair(
            lambda f=ours_fn, x=x: f(x, target),
            lambda f=loop_fn, x=x: f(x, target),
            args.repeats,
            args.loop_repeats,
        )
        report(name, t_ours, t_loop, float(np.abs(stack(d) - ref).max()))
    logs = np.empty_like(probs)
    floor("one read of probs (np.min)", probs.min, args.repeats)
    floor("np.log of every value (stated probs)", lambda: np.log(probs, out=logs), args.repeats)

    n_inst, runs, t_max = 10_000, 30, 200
    n_tests = rng.integers(1, t_max + 1, size=n_inst)
    p_pass = rng.random(int(n_tests.sum()))
    starts = np.concatenate([[0], np.cumsum(n_tests)[:-1]])
    arrays = [
        (rng.random((runs, t)) < p_pass[s : s + t]).astype(np.uint8)
        for s, t in zip(starts, n_tests, strict=True)
    ]
    flat = np.concatenate([a.ravel() for a in arrays])
    print(
        f"(b) test vectors: {n_inst:,} instances x {runs} runs x 1..{t_max} tests "
        f"({flat.size / 1e6:.1f} M outcomes)"
    )
    rt = RaggedTests.from_flat(flat, np.full(n_inst, runs), n_tests)
    cases = (
        (
            "tests, from flat array (incl. validation)",
            lambda: decompose_tests(RaggedTests.from_flat(flat, np.full(n_inst, runs), n_tests)),
        ),
        ("tests, RaggedTests already built", lambda: decompose_tests(rt)),
        ("tests, from a list of (R, T) arrays", lambda: decompose_tests(arrays)),
    )
    for name, fn in cases:
        t_ours, d, t_loop, ref = timed_pair(
            fn, lambda: tests_loop(arrays), args.repeats, args.loop_repeats
        )
        report(name, t_ours, t_loop, float(np.abs(stack(d) - ref).max()))
    floor("one read of the outcomes (np.max)", flat.max, args.repeats)
    floor("one copy of the outcomes", flat.copy, args.repeats)


if __name__ == "__main__":
    main()
