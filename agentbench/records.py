"""Pydantic records shared by every part: sample keys, model calls, steps, outcomes.

Everything that is logged or stored is one of these. Only pydantic is imported here.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

SCHEMA_VERSION = 1


def content_hash(obj: Any, n: int = 16) -> str:
    """Stable short sha256 of a JSON-able object (sorted keys)."""
    blob = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:n]


class Record(BaseModel):
    """Base for all records: forbid unknown fields so typos in configs are caught."""

    model_config = ConfigDict(extra="forbid")


def first_problem(exc: ValidationError) -> tuple[str, str, str]:
    """(dotted key, message, pydantic error type) of a validation error's first problem.

    A misspelt key also makes its correct twin "missing", so an unknown key is named first.
    """
    errs = exc.errors()
    e = next((e for e in errs if e["type"] == "extra_forbidden"), errs[0])
    return ".".join(str(p) for p in e["loc"]), e["msg"].removeprefix("Value error, "), e["type"]


# ---------------------------------------------------------------- sample keys


class SampleKey(Record):
    """Identity of one unroll: task, instance, system (by config hash) and seed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: str
    instance_id: str
    system: str  # system name
    system_hash: str  # content hash of the full system config
    seed: int

    @property
    def key(self) -> str:
        """Content-derived id, the primary key in the run store."""
        return content_hash([self.task, self.instance_id, self.system_hash, self.seed], 24)


# ---------------------------------------------------------------- model I/O


class ToolCall(Record):
    """One tool call requested by the model."""

    id: str
    name: str
    arguments: dict[str, Any] | str  # str when the model sent unparsable JSON

    @staticmethod
    def parse_arguments(raw: Any) -> dict[str, Any] | str:
        """Arguments as sent on a wire, as a dict; the raw string when it is not a JSON object."""
        if isinstance(raw, dict):
            return raw
        try:
            parsed = json.loads(raw or "{}")
        except (TypeError, ValueError):
            return str(raw)
        return parsed if isinstance(parsed, dict) else str(raw)

    def to_openai(self) -> dict[str, Any]:
        """This call as an OpenAI `tool_calls` entry (its arguments a JSON string)."""
        args = self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": args},
        }

    def to_anthropic(self) -> dict[str, Any]:
        """This call as an Anthropic `tool_use` block (unparsable arguments kept under `_raw`)."""
        args = self.arguments if isinstance(self.arguments, dict) else {"_raw": self.arguments}
        return {"type": "tool_use", "id": self.id, "name": self.name, "input": args}


class ToolSpec(Record):
    """A tool offered to the model (JSON schema parameters)."""

    name: str
    description: str
    parameters: dict[str, Any]


class Message(Record):
    """One chat message; the trajectory is a list of these."""

    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    reasoning: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None
    # opaque provider state of an assistant turn that must go back verbatim (Anthropic's
    # signed thinking blocks), copied from ModelResponse.provider_state
    provider_state: dict[str, Any] | None = None


class Usage(Record):
    """Token counts as the provider reports them."""

    input_tokens: int = 0
    output_tokens: int = 0  # includes reasoning tokens where the provider counts them so
    reasoning_tokens: int = 0
    cached_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
        )


class ModelRequest(Record):
    """What is sent to a model: messages plus sampling and reasoning settings."""

    model: str
    messages: list[Message]
    tools: list[ToolSpec] = Field(default_factory=list)
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_tokens: int | None = None
    seed: int | None = None
    stop: list[str] | None = None
    reasoning_budget: int | None = None  # Anthropic thinking budget tokens
    reasoning_effort: Literal["minimal", "low", "medium", "high"] | None = None  # OpenAI
    extra: dict[str, Any] = Field(default_factory=dict)

    def cache_key(self, seed_index: int | None) -> str:
        """Key for the response cache: the request plus the unroll's seed index."""
        return content_hash([self.model_dump(mode="json"), seed_index], 32)


class ModelResponse(Record):
    """What came back: text, reasoning, tool calls, usage and cost (None = unknown)."""

    text: str = ""
    reasoning: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = None  # None means unknown price, never 0
    finish_reason: str | None = None
    model: str | None = None
    latency_s: float = 0.0
    retries: int = 0
    cached: bool = False
    # what the provider needs back on the next turn, keyed by wire ("anthropic", "openai"):
    # stored with the response so a cached or replayed turn carries it too
    provider_state: dict[str, Any] | None = None


# ---------------------------------------------------------------- sandbox


class ExecResult(Record):
    """Result of one command in a sandbox shell."""

    exit_code: int | None  # None when killed at the timeout
    output: str  # stdout and stderr interleaved, decoded with replacement
    truncated: bool = False
    timed_out: bool = False
    duration_s: float = 0.0
    shell_restarted: bool = False


# ---------------------------------------------------------------- trajectory events


class ExitStatus(StrEnum):
    """How an unroll ended. Limits end the run and it is still graded."""

    SUBMITTED = "submitted"
    AUTO_SUBMITTED = "auto_submitted"  # the scaffold's submit_after budget ran out
    STEP_LIMIT = "step_limit"
    MESSAGE_LIMIT = "message_limit"
    TOKEN_LIMIT = "token_limit"
    COST_LIMIT = "cost_limit"
    TIME_LIMIT = "time_limit"
    FORMAT_ERROR_LIMIT = "format_error_limit"
    INFRA_ERROR = "infra_error"  # not an outcome: missing data


LIMIT_STATUSES = frozenset(
    {
        ExitStatus.STEP_LIMIT,
        ExitStatus.MESSAGE_LIMIT,
        ExitStatus.TOKEN_LIMIT,
        ExitStatus.COST_LIMIT,
        ExitStatus.TIME_LIMIT,
        ExitStatus.FORMAT_ERROR_LIMIT,
    }
)


class StartEvent(Record):
    """First line of a trajectory file."""

    type: Literal["start"] = "start"
    schema_version: int = SCHEMA_VERSION
    key: SampleKey
    system_config: dict[str, Any] = Field(default_factory=dict)
    task_info: dict[str, Any] = Field(default_factory=dict)
    messages: list[Message] = Field(default_factory=list)  # initial system + task prompt
    scaffold: dict[str, Any] = Field(default_factory=dict)  # resolved scaffold config (replay/fork)
    task_vars: dict[str, Any] = Field(default_factory=dict)  # template variables (replay/fork)
    t: float


class ModelCallEvent(Record):
    """One model call: the new messages since the last call are implied by the log."""

    type: Literal["model_call"] = "model_call"
    step: int
    request_hash: str
    response: ModelResponse
    replayed: bool = False  # True when the response came from a recorded trajectory (fork)
    t: float


class ActionEvent(Record):
    """An action the scaffold parsed from the model's reply."""

    type: Literal["action"] = "action"
    step: int
    tool: str  # "bash", "edit", "submit", ...
    arguments: dict[str, Any]
    tool_call_id: str | None = None
    t: float


class ObservationEvent(Record):
    """What the action produced, and the message sent back to the model."""

    type: Literal["observation"] = "observation"
    step: int
    result: ExecResult | None = None
    message: Message
    t: float


class FormatErrorEvent(Record):
    """The reply could not be parsed into an action; the message explains it to the model."""

    type: Literal["format_error"] = "format_error"
    step: int
    error: str
    message: Message
    t: float


class EndEvent(Record):
    """Last line: how it ended, the patch, totals."""

    type: Literal["end"] = "end"
    exit_status: ExitStatus
    patch: str = ""
    n_actions: int = 0
    n_messages: int = 0
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = None
    wall_s: float = 0.0
    error: str | None = None
    # Files the sandbox left out of `patch` (over its diff size cap), so the omission is on record.
    patch_omitted: list[str] = Field(default_factory=list)
    t: float


Event = StartEvent | ModelCallEvent | ActionEvent | ObservationEvent | FormatErrorEvent | EndEvent


# ---------------------------------------------------------------- outcomes and samples


class TestOutcome(Record):
    """Per-test grading of one unroll on one instance (METHODS.md §2b)."""

    __test__ = False  # not a pytest class

    tests: list[str]  # FAIL_TO_PASS then PASS_TO_PASS, the order of `passed`
    passed: list[bool]
    fail_to_pass: list[str]
    pass_to_pass: list[str]
    resolved: bool
    unchanged: bool = False  # graded "unchanged" (limit hit or empty patch)
    patch_applied: bool = True
    flaky: list[str] = Field(default_factory=list)  # tests whose result changed under regrade
    grading_s: float = 0.0
    log_excerpt: str = ""
    # what ended or cut the grading run (timeout, out of memory, output cut), empty if nothing
    grading_notes: list[str] = Field(default_factory=list)


class ChoiceOutcome(Record):
    """One multiple-choice unroll: a distribution over options (METHODS.md §2a)."""

    probs: list[float]
    target: int
    parsed: bool = True
    answer_text: str = ""


class VectorOutcome(Record):
    """A continuous outcome (embedding, iterate) with no target (variance only) or a target."""

    vector: list[float]
    text: str | None = None  # the answer an embedding was made from (open-ended evals)


class SampleStatus(StrEnum):
    """Where a sample stands in the run store."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"  # has an outcome
    MISSING = "missing"  # infrastructure failure after the retry policy: no outcome
    NOT_RUN = "not_run"  # left out by the cost bound (--max-cost): never attempted, resumable


class SampleResult(Record):
    """One row of the run store."""

    key: SampleKey
    status: SampleStatus
    outcome: TestOutcome | ChoiceOutcome | VectorOutcome | None = None
    resolved: bool | None = None
    exit_status: ExitStatus | None = None
    n_actions: int = 0
    length: float | None = None  # METHODS.md §3 length: actions, tokens or steps
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    wall_s: float = 0.0
    attempts: int = 1
    error: str | None = None  # infra failure reason when MISSING
    trajectory_path: str | None = None  # relative to the run folder
