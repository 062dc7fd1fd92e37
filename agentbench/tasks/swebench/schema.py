"""The public SWE-bench instance schema (as on the Hugging Face hub), validated row by row."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agentbench.errors import DataError
from agentbench.records import first_problem

# The fields every SWE-bench / Lite / Verified row carries; others (difficulty, image,
# eval_script, log_parser ...) are optional extras some variants add.
REQUIRED_FIELDS = (
    "repo",
    "instance_id",
    "base_commit",
    "patch",
    "test_patch",
    "problem_statement",
    "FAIL_TO_PASS",
    "PASS_TO_PASS",
)


class SWEInstance(BaseModel):
    """One SWE-bench instance; FAIL_TO_PASS/PASS_TO_PASS decoded from their JSON strings."""

    # unknown columns are tolerated (hub variants add some); known ones are typed
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    repo: str = Field(min_length=1)
    instance_id: str = Field(min_length=1)
    base_commit: str = Field(min_length=1)
    patch: str
    test_patch: str
    problem_statement: str
    hints_text: str = ""
    created_at: str = ""
    version: str = ""
    FAIL_TO_PASS: list[str]
    PASS_TO_PASS: list[str]
    environment_setup_commit: str = ""
    # optional extras (SWE-bench Verified, swebench 5.x harness rows)
    difficulty: str | None = None
    image: str | None = None
    eval_script: str | None = None
    log_parser: str | None = None
    eval_type: str | None = None

    @field_validator("FAIL_TO_PASS", "PASS_TO_PASS", mode="before")
    @classmethod
    def _decode_test_list(cls, v: Any) -> Any:
        # the hub stores these as JSON-encoded strings; local files may hold real lists
        if isinstance(v, str):
            try:
                v = json.loads(v)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not a JSON list of test ids ({exc.msg})") from None
        if hasattr(v, "tolist"):  # numpy arrays from Parquet
            v = v.tolist()
        return v

    @field_validator("created_at", mode="before")
    @classmethod
    def _time_to_str(cls, v: Any) -> Any:
        if isinstance(v, datetime):
            return v.isoformat()
        if v is None:
            return ""
        return v

    @field_validator("version", "hints_text", "environment_setup_commit", mode="before")
    @classmethod
    def _none_or_number_to_str(cls, v: Any) -> Any:
        if v is None:
            return ""
        if isinstance(v, int | float) and not isinstance(v, bool):
            return str(v)
        return v

    @property
    def tests(self) -> list[str]:
        """Graded tests in outcome order: FAIL_TO_PASS then PASS_TO_PASS."""
        return [*self.FAIL_TO_PASS, *self.PASS_TO_PASS]


def validate_row(row: Any, *, path: str, row_no: int) -> SWEInstance:
    """Validate one dataset row; a bad one raises DataError naming file, row and field."""
    if not isinstance(row, dict):
        raise DataError(
            f"row {row_no}: expected an object with SWE-bench fields, got {type(row).__name__}",
            path=path,
            fix="each row must be a JSON object in the SWE-bench schema",
        )
    try:
        return SWEInstance.model_validate(row)
    except ValidationError as exc:
        loc, msg, _ = first_problem(exc)
        ident = row.get("instance_id")
        where = f"row {row_no}" + (f" ({ident})" if isinstance(ident, str) else "")
        raise DataError(
            f"{where}: field {loc or '?'}: {msg}",
            path=path,
            fix=f"fix the row; required fields are {', '.join(REQUIRED_FIELDS)}",
        ) from None
