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


class ShotPool:
    """Few-shot examples for (question, context): from the question's subject when it has
    enough other questions (MMLU's convention), else from the whole pool; never the question
    itself. Chosen once per (question, context) and cached: all samples of a context share it.
    """

    def __init__(self, pool: list[MCQuestion], shots: int, salt: str = "") -> None:
        self.shots = shots
        self.salt = salt
        self.ids = [p.id for p in pool]
        self.by_subject: dict[str, list[str]] = {}
        for p in pool:
            if p.subject:
                self.by_subject.setdefault(p.subject, []).append(p.id)
        self._cache: dict[tuple[str, int], tuple[str, ...]] = {}

    def choose(self, q: MCQuestion, context: int) -> tuple[str, ...]:
        """The example ids of context `context` for question `q`."""
        key = (q.id, context)
        got = self._cache.get(key)
        if got is not None:
            return got
        same = self.by_subject.get(q.subject, []) if q.subject else []
        # `same` includes q when q is in the pool: it needs shots others besides q
        cands = same if len(same) - (q.subject in self.by_subject) >= self.shots else self.ids
        chosen: tuple[str, ...] = ()
        if self.shots > 0 and cands:
            # draw one extra and drop q if drawn: no O(pool) copy of the candidates per call
            k = min(self.shots + 1, len(cands))
            picks = _rng(self.salt, "ctx", q.id, context).sample(range(len(cands)), k)
            chosen = tuple([cands[i] for i in picks if cands[i] != q.id][: self.shots])
        self._cache[key] = chosen
        return chosen


def plan_unroll(
    q: MCQuestion,
    seed: int,
    *,
    contexts: int,
    pool: ShotPool,
    shuffle: bool,
    salt: str = "",
) -> Unroll:
    """The unroll `seed` of `q`: its context's examples (from `pool`), its option order."""
    context, sample = seed % contexts, seed // contexts
    order = list(range(q.n_options))
    if shuffle:
        _rng(salt, "order", q.id, seed).shuffle(order)
    req_seed = _rng(salt, "request", q.id, seed).getrandbits(31)
    return Unroll(seed, context, sample, tuple(order), pool.choose(q, context), req_seed)


def to_original(displayed: list[float], order: tuple[int, ...]) -> list[float]:
    """Probabilities over displayed options → probabilities over the question's own options."""
    out = [0.0] * len(order)
    for j, i in enumerate(order):
        out[i] = displayed[j]
    return out
