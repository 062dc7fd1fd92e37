"""The multiple-choice Task: one model call per unroll, graded into a distribution over options.

Storage (decided for throughput): an MC sample writes no trajectory file. Its store row holds
everything: the outcome (probabilities over the question's own options, target, whether the
answer parsed, and the full reply text in `answer_text`), the usage, and the length (reasoning
tokens, else output tokens). The prompt is not stored because it is a pure function of the
task spec and the seed: `MCTask.prompt(question_id, seed)` (and `agentbench mc prompt`) rebuild
it exactly. Open-ended unrolls store the embedding and the answer text (VectorOutcome).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from agentbench.config import SystemConfig
from agentbench.errors import ConfigError
from agentbench.models.base import Model
from agentbench.records import (
    ChoiceOutcome,
    ExitStatus,
    Message,
    ModelRequest,
    ModelResponse,
    Record,
    SampleKey,
    SampleResult,
    SampleStatus,
    VectorOutcome,
    first_problem,
)
from agentbench.tasks.base import Task
from agentbench.tasks.mc.datasets import DatasetSpec, load_questions
from agentbench.tasks.mc.embeddings import Embedder, EmbeddingSpec, make_embedder
from agentbench.tasks.mc.extract import extract_letter, extract_open, extract_probs
from agentbench.tasks.mc.prompts import Format, build_messages
from agentbench.tasks.mc.questions import MCQuestion
from agentbench.tasks.mc.unroll import ShotPool, Unroll, plan_unroll, to_original


class MCTaskSpec(Record):
    """An mc task in a sweep spec (`tasks: [{kind: mc, ...}]`)."""

    kind: Literal["mc"] = "mc"
    name: str = Field("mc", min_length=1)
    dataset: DatasetSpec = Field(default_factory=DatasetSpec)
    format: Format = "letter"  # letter | probs | tags (safety) | open (options removed)
    contexts: int = Field(10, ge=1)  # C few-shot contexts; seeds are spread over them
    shots: int = Field(3, ge=0)  # examples per context
    fewshot: DatasetSpec | None = None  # where examples come from (e.g. MMLU dev); default: the set
    shuffle: bool = False  # shuffle the options per unroll (answers are mapped back)
    instructions: str | None = None  # replaces the format's system instruction
    max_tokens: int | None = Field(None, ge=1)  # per request; else the model config's
    embedding: EmbeddingSpec | None = None  # open format (default: the local MiniLM)

    @model_validator(mode="after")
    def _check(self) -> MCTaskSpec:
        if self.embedding is not None and self.format != "open":
            raise ValueError("embedding is only used with format 'open'")
        return self


def parse_spec(spec: dict[str, Any]) -> MCTaskSpec:
    """Validate an mc task spec; the first problem becomes a ConfigError naming the key."""
    try:
        return MCTaskSpec.model_validate(spec)
    except ValidationError as exc:
        loc, msg, kind = first_problem(exc)
        fix = "remove it or fix its spelling" if kind == "extra_forbidden" else None
        fix = fix or "see docs in agentbench/tasks/mc/task.py (MCTaskSpec)"
        raise ConfigError(msg, field=f"tasks.{loc}" if loc else "tasks", fix=fix) from None


def reasoning_length(resp: ModelResponse) -> float:
    """METHODS.md §3: reasoning tokens as the provider reports them, else output tokens."""
    u = resp.usage
    return float(u.reasoning_tokens if u.reasoning_tokens > 0 else u.output_tokens)


class MCTask(Task):
    """Multiple-choice (and open-ended safety) evals as a sweep Task."""

    def __init__(self, spec: MCTaskSpec, questions: list[MCQuestion] | None = None) -> None:
        self.spec = spec
        self.name = spec.name
        self.questions = questions if questions is not None else load_questions(spec.dataset)
        self._by_id = {q.id: q for q in self.questions}
        self._models: dict[int, tuple[SystemConfig, Model]] = {}
        self._embedder: Embedder | None = None
        # few-shot examples: a separate set (e.g. MMLU's dev split) or the selected questions
        shots = load_questions(spec.fewshot) if spec.fewshot is not None else self.questions
        self._shots_by_id = {q.id: q for q in shots}
        self._pool = ShotPool(shots, spec.shots, salt=f"{spec.dataset.seed}")

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> MCTask:
        """Build from a spec dict (ConfigError / DataError on bad input)."""
        return cls(parse_spec(spec))

    # ---------------------------------------------------------------- Task interface

    def instance_ids(self) -> list[str]:
        """Question ids, in the dataset's order."""
        return [q.id for q in self.questions]

    def question(self, qid: str) -> MCQuestion:
        """The question `qid` (ConfigError when it is not in this task)."""
        try:
            return self._by_id[qid]
        except KeyError:
            raise ConfigError(
                f"question {qid!r} is not in task {self.name}",
                field="instance_id",
                fix="use an id the run holds (agentbench view RUN lists them)",
            ) from None

    def unroll(self, qid: str, seed: int) -> Unroll:
        """How seed `seed` of question `qid` is asked."""
        s = self.spec
        return plan_unroll(
            self.question(qid),
            seed,
            contexts=s.contexts,
            pool=self._pool,
            shuffle=s.shuffle and s.format != "open",
            salt=f"{s.dataset.seed}",
        )

    def prompt(self, qid: str, seed: int, u: Unroll | None = None) -> list[Message]:
        """The exact messages unroll `seed` of `qid` sends."""
        u = u or self.unroll(qid, seed)
        q = self.question(qid)
        return build_messages(
            q,
            u.order,
            self.spec.format,
            [self._shots_by_id[i] for i in u.shots],
            self.spec.instructions,
        )

    def request(self, key: SampleKey, system: SystemConfig) -> tuple[ModelRequest, Unroll]:
        """The model request of a sample (sampling settings come from the system's model)."""
        u = self.unroll(key.instance_id, key.seed)
        req = ModelRequest(
            model=system.model.name,
            messages=self.prompt(key.instance_id, key.seed, u),
            seed=u.request_seed,
            max_tokens=self.spec.max_tokens,
        )
        return req, u

    def _model(self, system: SystemConfig) -> Model:
        # executors pass the same system objects every time: key by identity (hashing the
        # config per sample costs more than the rest of the sample's bookkeeping)
        hit = self._models.get(id(system))
        if hit is not None and hit[0] is system:
            return hit[1]
        from agentbench.models.factory import make_model

        model = make_model(system.model)
        self._models[id(system)] = (system, model)
        return model

    async def arun_sample(
        self, key: SampleKey, system: SystemConfig, run_dir: Path
    ) -> SampleResult:
        """One unroll: build the prompt, call the model, grade the reply."""
        started = time.time()
        req, u = self.request(key, system)
        resp = await self._model(system).acomplete(req, seed_index=key.seed)
        if self.spec.format == "open":
            return await self._grade_open(key, resp, started)
        return self.grade(key, u, resp, started)

    async def aclose(self) -> None:
        """Close model clients bound to the running loop."""
        for _, m in self._models.values():
            await m.aclose()
        closer = getattr(self._embedder, "aclose", None)
        if closer is not None:
            await closer()

    # ---------------------------------------------------------------- grading

    def grade(self, key: SampleKey, u: Unroll, resp: ModelResponse, started: float) -> SampleResult:
        """Reply → distribution over the question's own options (unparsed → uniform)."""
        q = self.question(key.instance_id)
        n = q.n_options
        if self.spec.format == "probs":
            ex = extract_probs(resp.text, n)
        else:
            ex = extract_letter(resp.text, n, tags=self.spec.format == "tags")
        probs = to_original(ex.probs, u.order)
        outcome = ChoiceOutcome(
            probs=probs, target=q.target, parsed=ex.parsed, answer_text=resp.text
        )
        # correct = the target strictly beats every other option (a tie is not an answer)
        rest = max(p for i, p in enumerate(probs) if i != q.target)
        return self._result(key, outcome, resp, started, resolved=probs[q.target] > rest)

    async def _grade_open(
        self, key: SampleKey, resp: ModelResponse, started: float
    ) -> SampleResult:
        if self._embedder is None:
            self._embedder = make_embedder(self.spec.embedding or EmbeddingSpec())
        answer, _parsed = extract_open(resp.text)
        vec = (await self._embedder.aembed([answer or resp.text or " "]))[0]
        outcome = VectorOutcome(vector=[float(v) for v in vec], text=resp.text)
        return self._result(key, outcome, resp, started, resolved=None)

    def _result(
        self,
        key: SampleKey,
        outcome: ChoiceOutcome | VectorOutcome,
        resp: ModelResponse,
        started: float,
        resolved: bool | None,
    ) -> SampleResult:
        now = time.time()
        status = ExitStatus.TOKEN_LIMIT if resp.finish_reason == "length" else ExitStatus.SUBMITTED
        return SampleResult(
            key=key,
            status=SampleStatus.DONE,
            outcome=outcome,
            resolved=resolved,
            exit_status=status,
            n_actions=1,
            length=reasoning_length(resp),
            usage=resp.usage,
            cost_usd=resp.cost_usd,
            started_at=started,
            finished_at=now,
            wall_s=now - started,
        )
