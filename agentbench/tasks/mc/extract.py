"""Answer extraction: reply text → a distribution over the displayed options.

An answer that cannot be parsed becomes the uniform distribution with `parsed=False`
(METHODS.md §2a); reports count those. The last answer in the reply wins, since models
often restate the options before they decide.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from agentbench.tasks.mc.questions import LETTERS

_TAG = re.compile(r"<answer>\s*(.*?)\s*</answer>", re.IGNORECASE | re.DOTALL)
_ANSWER_LINE = re.compile(
    r"(?:final\s+)?answer\s*(?:is|:|=)?\s*[:\-]?\s*\**\s*\(?\s*([A-Z])\s*\)?(?![A-Za-z])",
    re.IGNORECASE,
)
_LONE = re.compile(r"^\W*\(?([A-Z])\)?[\W]*$")
_JSON_OBJ = re.compile(r"\{[^{}]*\}")
_PAIR = re.compile(r"\(?\b([A-Z])\b\)?\s*[:=]\s*([0-9]*\.?[0-9]+)\s*(%)?")


@dataclass(frozen=True)
class Extracted:
    """Probabilities over the displayed options, whether they were parsed, and the answer text."""

    probs: list[float]
    parsed: bool
    answer: str


def uniform(n: int) -> list[float]:
    """The uniform distribution an unparsable answer becomes."""
    return [1.0 / n] * n


def _one_hot(i: int, n: int) -> list[float]:
    p = [0.0] * n
    p[i] = 1.0
    return p


def _letter_of(s: str, n: int) -> int | None:
    m = _LONE.match(s.strip())
    if m and m.group(1).upper() in LETTERS[:n]:
        return LETTERS.index(m.group(1).upper())
    return None


def extract_tag(text: str) -> str | None:
    """The content of the last <answer>...</answer> tag, or None."""
    found = _TAG.findall(text)
    return found[-1].strip() if found else None


def extract_letter(text: str, n: int, *, tags: bool = False) -> Extracted:
    """A letter answer: <answer>X</answer> when `tags`, else 'Answer: X' or a lone letter."""
    if tags:
        inner = extract_tag(text)
        i = _letter_of(inner, n) if inner is not None else None
        if i is None and inner is not None:
            m = _ANSWER_LINE.search(f"answer: {inner}")
            if m and m.group(1).upper() in LETTERS[:n]:
                i = LETTERS.index(m.group(1).upper())
        if i is None:
            return Extracted(uniform(n), False, inner or "")
        return Extracted(_one_hot(i, n), True, LETTERS[i])
    i = _letter_of(text, n)
    if i is None:
        hits = [
            m.group(1).upper()
            for m in _ANSWER_LINE.finditer(text)
            if m.group(1).upper() in LETTERS[:n]
            # "Answer: I think ..." is not the letter I: require a real option letter
            and (m.group(1).isupper() or m.group(0).rstrip().endswith(")"))
        ]
        if hits:
            i = LETTERS.index(hits[-1])
    if i is None:
        return Extracted(uniform(n), False, "")
    return Extracted(_one_hot(i, n), True, LETTERS[i])


def _normalise(values: dict[int, float], n: int) -> list[float] | None:
    if not values or any((not math.isfinite(v)) or v < 0 for v in values.values()):
        return None
    total = sum(values.values())
    if total <= 0:
        return None
    return [values.get(i, 0.0) / total for i in range(n)]


def extract_probs(text: str, n: int) -> Extracted:
    """Stated probabilities: the last JSON object of letter → number, else 'A: 0.3' pairs.

    Percentages are accepted; the values are renormalised to sum to 1. Keys that are not
    option letters, negative or non-finite values, or an all-zero answer make it unparsed.
    """
    for blob in reversed(_JSON_OBJ.findall(text)):
        try:
            obj = json.loads(blob)
        except ValueError:
            continue
        if not isinstance(obj, dict) or not obj:
            continue
        vals: dict[int, float] = {}
        ok = True
        for k, v in obj.items():
            key = str(k).strip().strip("()").upper()
            if len(key) != 1 or key not in LETTERS[:n]:
                ok = False
                break
            try:
                fv = float(str(v).rstrip("%"))
            except ValueError:
                ok = False
                break
            vals[LETTERS.index(key)] = fv
        probs = _normalise(vals, n) if ok else None
        if probs is not None:
            return Extracted(probs, True, blob)
        return Extracted(uniform(n), False, blob)
    pairs = [(m.group(1), m.group(2)) for m in _PAIR.finditer(text) if m.group(1) in LETTERS[:n]]
    if pairs:
        vals = {LETTERS.index(k): float(v) for k, v in pairs}
        probs = _normalise(vals, n)
        if probs is not None:
            return Extracted(probs, True, ", ".join(f"{k}: {v}" for k, v in pairs))
    return Extracted(uniform(n), False, "")


def extract_open(text: str) -> tuple[str, bool]:
    """An open-ended answer: the last <answer> tag's content, else the whole reply (unparsed)."""
    inner = extract_tag(text)
    if inner:
        return inner, True
    return text.strip(), False
