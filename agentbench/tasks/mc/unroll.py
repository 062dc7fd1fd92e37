"""Seeds are the sample keys: seed → (few-shot context, sample within it, option order).

With C contexts, seed s uses context s mod C and is sample ⌊s / C⌋ within it, so R = 30
seeds with C = 10 give the paper's 10 contexts × 3 samples, and any prefix of the seeds
(a stopped sweep runs seed-major) covers the contexts evenly. The context's examples, the
option order and the request seed are all derived from the question id and the seed alone,
so any worker rebuilds the same prompt.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from agentbench.tasks.mc.questions import MCQuestion


def _rng(*parts: object) -> random.Random:
    h = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(h[:8], "little"))


@dataclass(frozen=True)
class Unroll:
    """How one seed of one question is asked."""

    seed: int
    context: int
    sample: int
    order: tuple[int, ...]  # displayed option j is original option order[j]
    shots: tuple[str, ...]  # question ids of the few-shot examples
    request_seed: int


def plan_unroll(
    q: MCQuestion,
    seed: int,
    *,
    contexts: int,
    shots: int,
    pool: list[MCQuestion],
    shuffle: bool,
    salt: str = "",
) -> Unroll:
    """The unroll `seed` of `q`: its context's examples (from `pool`, never `q`), its order."""
    context, sample = seed % contexts, seed // contexts
    others = [p for p in pool if p.id != q.id]
    same = [p for p in others if q.subject and p.subject == q.subject]
    # examples from the question's own subject when it has enough (MMLU's convention)
    candidates = same if len(same) >= shots else others
    chosen: list[str] = []
    if shots > 0 and candidates:
        chosen = [
            p.id
            for p in _rng(salt, "ctx", q.id, context).sample(
                candidates, min(shots, len(candidates))
            )
        ]
    order = list(range(q.n_options))
    if shuffle:
        _rng(salt, "order", q.id, seed).shuffle(order)
    req_seed = _rng(salt, "request", q.id, seed).getrandbits(31)
    return Unroll(seed, context, sample, tuple(order), tuple(chosen), req_seed)


def to_original(displayed: list[float], order: tuple[int, ...]) -> list[float]:
    """Probabilities over displayed options → probabilities over the question's own options."""
    out = [0.0] * len(order)
    for j, i in enumerate(order):
        out[i] = displayed[j]
    return out
