"""The one question record every loader produces, whatever the source schema."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from agentbench.errors import DataError
from agentbench.records import Record

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class MCQuestion(Record):
    """A multiple-choice question: stem, options, the index of the correct (or aligned) option."""

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    options: list[str] = Field(min_length=2, max_length=len(LETTERS))
    target: int = Field(ge=0)
    subject: str = ""
    source: str = ""

    @model_validator(mode="after")
    def _target_in_range(self) -> MCQuestion:
        if self.target >= len(self.options):
            raise ValueError(
                f"target {self.target} is out of range for {len(self.options)} options"
            )
        return self

    @property
    def n_options(self) -> int:
        """How many options the question has."""
        return len(self.options)


def option_index(value: Any, n: int, *, where: str, field: str) -> int:
    """An option letter ("B", "(B)") or 0-based index (1, "1") among n options, as the index."""
    idx = value
    if isinstance(value, str):
        s = value.strip().strip("()").strip()
        if s.isdigit():
            idx = int(s)
        elif len(s) == 1 and s.isascii() and s.isalpha():
            idx = LETTERS.index(s.upper())
    if isinstance(idx, float) and idx.is_integer():
        idx = int(idx)
    if isinstance(idx, int) and not isinstance(idx, bool) and 0 <= idx < n:
        return idx
    raise DataError(
        f"{value!r} is not an option (A-{LETTERS[n - 1]} or 0-{n - 1})", path=where, field=field,
        fix="give an option letter or its 0-based index",
    )  # fmt: skip
