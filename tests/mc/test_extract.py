"""Answer extraction: letters, stated probabilities, <answer> tags; unparsable → uniform."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentbench.tasks.mc.extract import extract_letter, extract_open, extract_probs


@pytest.mark.parametrize(
    ("text", "letter"),
    [
        ("Answer: B", "B"),
        ("B", "B"),
        ("(C)", "C"),
        ("Let me think... A looks wrong.\nThe answer is (D).", "D"),
        ("Answer: A\nWait, no. Final answer: C", "C"),
        ("**Answer:** B", "B"),
        ("answer: (b)", "B"),
    ],
)
def test_letter_answers(text: str, letter: str) -> None:
    ex = extract_letter(text, 4)
    assert ex.parsed and ex.answer == letter
    assert ex.probs == [1.0 if c == letter else 0.0 for c in "ABCD"]


@pytest.mark.parametrize(
    "text", ["I don't know.", "Answer: I think it is hard", "Answer: E", "", "Answer: F"]
)
def test_unparsable_letters_become_uniform(text: str) -> None:
    ex = extract_letter(text, 4)
    assert not ex.parsed and ex.probs == [0.25] * 4


def test_tags() -> None:
    assert extract_letter("thinking <answer>B</answer>", 3, tags=True).answer == "B"
    assert (
        extract_letter("<answer> (A) </answer> then <answer>C</answer>", 3, tags=True).answer == "C"
    )
    ex = extract_letter("Answer: B but no tags", 3, tags=True)
    assert not ex.parsed and ex.probs == pytest.approx([1 / 3] * 3)
    assert not extract_letter("<answer>maybe</answer>", 2, tags=True).parsed


def test_probabilities() -> None:
    ex = extract_probs('I think {"A": 0.2, "B": 0.8}', 4)
    assert ex.parsed and ex.probs == [0.2, 0.8, 0.0, 0.0]
    ex = extract_probs('{"A": 30, "B": 30, "C": 40}', 3)  # percentages renormalised
    assert ex.probs == pytest.approx([0.3, 0.3, 0.4])
    ex = extract_probs("A: 0.5\nB: 0.25\nC: 0.25", 3)
    assert ex.parsed and ex.probs == pytest.approx([0.5, 0.25, 0.25])
    for bad in ('{"A": -0.5, "B": 1.5}', '{"Z": 1.0}', '{"A": 0, "B": 0}', "no numbers"):
        ex = extract_probs(bad, 2)
        assert not ex.parsed and ex.probs == [0.5, 0.5], bad


@given(st.lists(st.floats(0.0, 1e6, allow_nan=False), min_size=2, max_size=6))
def test_stated_probabilities_round_trip(values: list[float]) -> None:
    letters = "ABCDEF"[: len(values)]
    text = "{" + ", ".join(f'"{c}": {v!r}' for c, v in zip(letters, values, strict=True)) + "}"
    ex = extract_probs(text, len(values))
    if sum(values) > 0:
        assert ex.parsed and ex.probs == pytest.approx([v / sum(values) for v in values])
    else:
        assert not ex.parsed


def test_open_answers() -> None:
    assert extract_open("blah <answer>I would decline.</answer>") == ("I would decline.", True)
    assert extract_open("  just text ") == ("just text", False)
