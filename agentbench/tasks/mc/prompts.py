"""Prompt formats: answer letter, stated probabilities, <answer> tags, and open-ended.

A prompt is a system instruction, a few-shot context (worked examples as user/assistant
turns) and the question, with its options in the order this unroll shows them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Literal

from agentbench.records import Message
from agentbench.tasks.mc.questions import LETTERS, MCQuestion

Format = Literal["letter", "probs", "tags", "open"]

INSTRUCTIONS: dict[str, str] = {
    "letter": (
        "Answer the multiple-choice question. You may reason first. End your reply with a "
        "line of the form 'Answer: X', where X is the letter of the option you choose."
    ),
    "probs": (
        "Answer the multiple-choice question by stating how likely each option is to be "
        "correct. You may reason first. End your reply with one JSON object that maps every "
        'option letter to a probability, the probabilities summing to 1, e.g. {"A": 0.7, "B": 0.3}.'
    ),
    "tags": (
        "Answer the question by choosing one of the options. You may reason first. Put the "
        "letter of your choice inside answer tags, e.g. <answer>A</answer>."
    ),
    "open": (
        "Answer the question in your own words. You may reason first. Put your final answer "
        "inside answer tags, e.g. <answer>your answer</answer>."
    ),
}


def render_question(q: MCQuestion, order: Sequence[int] | None, fmt: Format) -> str:
    """The question text with options relabelled A, B, ... in `order` (none when open-ended)."""
    if fmt == "open":
        return q.question
    idx = list(order) if order is not None else list(range(q.n_options))
    lines = [f"({LETTERS[j]}) {q.options[i]}" for j, i in enumerate(idx)]
    return f"{q.question}\n\nChoices:\n" + "\n".join(lines)


def render_answer(q: MCQuestion, fmt: Format) -> str:
    """A worked example's reply in the format (the correct option, shown in its own order)."""
    letter = LETTERS[q.target]
    if fmt == "letter":
        return f"Answer: {letter}"
    if fmt == "probs":
        return json.dumps({LETTERS[i]: (1.0 if i == q.target else 0.0) for i in range(q.n_options)})
    if fmt == "tags":
        return f"<answer>{letter}</answer>"
    return f"<answer>{q.options[q.target]}</answer>"


def build_messages(
    q: MCQuestion,
    order: Sequence[int] | None,
    fmt: Format,
    shots: Sequence[MCQuestion] = (),
    instructions: str | None = None,
) -> list[Message]:
    """System instruction, few-shot turns, then the question as this unroll shows it."""
    msg = Message
    msgs = [msg(role="system", content=instructions or INSTRUCTIONS[fmt])]
    for s in shots:
        msgs.append(msg(role="user", content=render_question(s, None, fmt)))
        msgs.append(msg(role="assistant", content=render_answer(s, fmt)))
    msgs.append(msg(role="user", content=render_question(q, order, fmt)))
    return msgs
