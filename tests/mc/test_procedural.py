"""The bundled procedural task: seeded, reproducible, the keyed answer is right, difficulty = steps."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from agentbench.tasks.mc.procedural import generate, make_question


def _solve(text: str) -> int:
    """An independent reading of the question text: parse each instruction and apply it."""
    x = int(re.search(r"Start with the number (-?\d+)", text).group(1))  # type: ignore[union-attr]
    for line in re.findall(r"^\d+\. (.*)$", text, flags=re.M):
        k = re.search(r"(-?\d+)$", line)
        if line.startswith("add"):
            x += int(k.group(1))  # type: ignore[union-attr]
        elif line.startswith("subtract"):
            x -= int(k.group(1))  # type: ignore[union-attr]
        elif line.startswith("multiply"):
            x *= int(k.group(1))  # type: ignore[union-attr]
        elif line.startswith("take the remainder"):
            x %= int(k.group(1))  # type: ignore[union-attr]
        elif line.startswith("reverse"):
            x = (-1 if x < 0 else 1) * int(str(abs(x))[::-1])
        else:
            raise AssertionError(line)
    return x


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    difficulty=st.integers(1, 12),
    index=st.integers(0, 500),
    n_options=st.integers(2, 6),
)
def test_keyed_answer_is_the_solution_and_distractors_differ(
    seed: int, difficulty: int, index: int, n_options: int
) -> None:
    q = make_question(seed, difficulty, index, n_options)
    assert len(q.options) == n_options == len(set(q.options))
    assert int(q.options[q.target]) == _solve(q.question)
    assert len(re.findall(r"^\d+\. ", q.question, flags=re.M)) == difficulty


def test_same_spec_same_questions_and_mixed_levels() -> None:
    a = generate(5, [1, 3], seed=7)
    b = generate(5, [1, 3], seed=7)
    assert [q.model_dump() for q in a] == [q.model_dump() for q in b]
    assert [q.subject for q in a] == ["arithmetic-1-step"] * 5 + ["arithmetic-3-step"] * 5
    assert len({q.id for q in a}) == 10
    c = generate(5, [1, 3], seed=8)
    assert [q.question for q in a] != [q.question for q in c]


def test_answer_position_is_spread_over_options() -> None:
    targets = [q.target for q in generate(200, 2, seed=1)]
    counts = [targets.count(i) for i in range(4)]
    assert min(counts) > 25  # ~50 each: the right answer is not always in one place
