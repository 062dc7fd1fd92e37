"""The one question record every loader produces, whatever the source schema."""

from __future__ import annotations

from pydantic import Field, model_validator

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
