"""The bundled task: procedurally generated multi-step arithmetic with plausible distractors.

`difficulty` is the number of operations a question chains, so it sets how many reasoning
steps the answer needs. Everything derives from (seed, difficulty, index): the same spec
gives the same questions on every machine, with nothing to download.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from agentbench.tasks.mc.questions import MCQuestion

# Each operation: (template, function). Kept to small integers so a careful reader can follow.
_OPS: tuple[tuple[str, str], ...] = (
    ("add {k}", "add"),
    ("subtract {k}", "sub"),
    ("multiply by {k}", "mul"),
    ("take the remainder after dividing by {k}", "mod"),
    ("reverse its digits", "rev"),
)


def _apply(op: str, x: int, k: int) -> int:
    if op == "add":
        return x + k
    if op == "sub":
        return x - k
    if op == "mul":
        return x * k
    if op == "mod":
        return x % k
    # rev: sign kept, digits reversed (leading zeros drop)
    sign = -1 if x < 0 else 1
    return sign * int(str(abs(x))[::-1])


def _operand(rng: random.Random, op: str) -> int:
    return {"add": rng.randint(2, 19), "sub": rng.randint(2, 19), "mul": rng.randint(2, 5)}.get(
        op, rng.randint(3, 9)
    )


def _chain(x0: int, steps: list[tuple[str, int]]) -> list[int]:
    """Every intermediate value, starting with x0."""
    vals = [x0]
    for op, k in steps:
        vals.append(_apply(op, vals[-1], k))
    return vals


def _distractors(
    rng: random.Random, x0: int, steps: list[tuple[str, int]], answer: int
) -> list[int]:
    """Wrong answers a model that slips would give: a skipped step, a misapplied one, off-by-k."""
    cands: list[int] = []
    for i in range(len(steps)):
        skipped = steps[:i] + steps[i + 1 :]
        cands.append(_chain(x0, skipped)[-1])
        op, k = steps[i]
        cands.append(_chain(x0, [*steps[:i], (op, k + 1), *steps[i + 1 :]])[-1])
    cands.append(_chain(x0, steps)[-2] if len(steps) > 1 else x0)  # stopped one step early
    cands += [answer + d for d in (1, -1, 2, -2, 10, -10)]
    seen = {answer}
    out: list[int] = []
    rng.shuffle(cands)
    for c in cands:
        if c not in seen:
            seen.add(c)
            out.append(c)
    return out


def make_question(seed: int, difficulty: int, index: int, n_options: int = 4) -> MCQuestion:
    """One question with `difficulty` chained operations; the same arguments give the same one."""
    if difficulty < 1:
        raise ValueError("difficulty must be >= 1")
    rng = random.Random(f"agentbench-mc-arith:{seed}:{difficulty}:{index}")
    x0 = rng.randint(2, 40)
    steps: list[tuple[str, int]] = []
    for _ in range(difficulty):
        op = rng.choice(_OPS)[1]
        steps.append((op, _operand(rng, op)))
    answer = _chain(x0, steps)[-1]
    wrong = _distractors(rng, x0, steps, answer)[: n_options - 1]
    options = [answer, *wrong]
    rng.shuffle(options)
    templates = dict((name, tpl) for tpl, name in _OPS)
    lines = [f"{i + 1}. {templates[op].format(k=k)}" for i, (op, k) in enumerate(steps)]
    text = (
        f"Start with the number {x0}. Apply these operations in order:\n"
        + "\n".join(lines)
        + "\nWhat number do you end with?"
    )
    return MCQuestion(
        id=f"arith-s{seed}-d{difficulty}-{index:04d}",
        question=text,
        options=[str(v) for v in options],
        target=options.index(answer),
        subject=f"arithmetic-{difficulty}-step",
        source="procedural",
    )


def generate(
    n: int, difficulty: int | Sequence[int] = 3, *, seed: int = 0, n_options: int = 4
) -> list[MCQuestion]:
    """`n` questions per difficulty level (a list of levels mixes them), seeded and stable."""
    levels = [difficulty] if isinstance(difficulty, int) else list(difficulty)
    return [make_question(seed, d, i, n_options) for d in levels for i in range(n)]
