"""A scripted responder whose answer distribution per question is known by construction.

The scripted server calls it with each request; it recognises the question from the prompt,
draws an option of the question's own order from that question's distribution with the
request seed, and answers with the letter that option has in this unroll's (possibly
shuffled) order. Tests, the benchmark and the demo use it: the truth is known exactly.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence

from agentbench.records import Usage
from agentbench.servers.scripted import Reply, ScriptedCall
from agentbench.tasks.mc.questions import LETTERS
from agentbench.tasks.mc.task import MCTask


class KnownDistributionResponder:
    """Answers question q with option c with probability dist[q][c] (in q's own option order).

    `fmt` "letter" answers 'Answer: X'; "tags" answers <answer>X</answer>; "probs" states the
    distribution itself as JSON (then the unroll's outcome is dist[q] exactly). `length` maps a
    question to the reasoning tokens reported (plus 0-4 at random, so lengths vary per unroll).
    `budget_dist` answers requests that carry a thinking budget from that budget's table.
    """

    def __init__(
        self,
        task: MCTask,
        dist: Mapping[str, Sequence[float]],
        *,
        length: Mapping[str, int] | None = None,
        garbage: float = 0.0,
        budget_dist: Mapping[int, Mapping[str, Sequence[float]]] | None = None,
    ) -> None:
        self.task = task
        self.dist = {q: list(map(float, p)) for q, p in dist.items()}
        self.length = dict(length or {})
        self.garbage = garbage  # fraction of replies with no parsable answer
        # thinking budget (Anthropic wire) → distributions: the same questions at several budgets
        self.budget_dist = {
            b: {q: list(map(float, p)) for q, p in d.items()}
            for b, d in (budget_dist or {}).items()
        }
        # the question part of the last user message → question id; options may be shuffled,
        # so the key is the stem and the option order is read back from the text
        self._by_stem = {q.question: q.id for q in task.questions}

    def _question(self, call: ScriptedCall) -> tuple[str, list[int]]:
        msg = call.last("user")
        text = msg.content if msg is not None else ""
        stem, _, choices = text.partition("\n\nChoices:\n")
        qid = self._by_stem[stem]
        q = self.task.question(qid)
        shown = [line.split(") ", 1)[1] for line in choices.splitlines() if ") " in line]
        # displayed position j shows original option order[j]; identical texts keep their order
        remaining = list(range(q.n_options))
        order = []
        for t in shown:
            i = next(i for i in remaining if q.options[i] == t)
            remaining.remove(i)
            order.append(i)
        return qid, order

    def __call__(self, call: ScriptedCall) -> Reply:
        """One reply for one request."""
        qid, order = self._question(call)
        rng = random.Random(call.seed)
        budget = (call.raw.get("thinking") or {}).get("budget_tokens")
        p = self.budget_dist[budget][qid] if budget in self.budget_dist else self.dist[qid]
        fmt = self.task.spec.format
        base = self.length.get(qid, 10) + (budget or 0) // 100
        usage = Usage(
            input_tokens=50, output_tokens=base + 5, reasoning_tokens=base + rng.randrange(5)
        )
        if self.garbage and rng.random() < self.garbage:
            return Reply(text="I am not sure.", usage=usage)
        if fmt == "probs":
            shown = {LETTERS[j]: p[i] for j, i in enumerate(order)}
            return Reply(text=f"Thinking done. {json.dumps(shown)}", usage=usage)
        choice = rng.choices(range(len(p)), weights=p)[0]
        letter = LETTERS[order.index(choice)]
        text = f"<answer>{letter}</answer>" if fmt == "tags" else f"Reasoning...\nAnswer: {letter}"
        return Reply(text=text, usage=usage)


def difficulty_truth(task: MCTask) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Known distributions for the procedural task: harder questions are answered right less
    often and take longer (accuracy 0.95 − 0.12·steps, floored at chance; 20 tokens a step)."""
    dist: dict[str, list[float]] = {}
    length: dict[str, int] = {}
    for q in task.questions:
        d = int(q.subject.split("-")[1]) if q.subject.startswith("arithmetic-") else 1
        right = max(1.0 / q.n_options, 0.95 - 0.12 * d)
        wrong = (1 - right) / (q.n_options - 1)
        p = [wrong] * q.n_options
        p[q.target] = right
        dist[q.id] = p
        length[q.id] = 20 * d
    return dist, length
