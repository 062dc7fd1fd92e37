"""The agent loop: model <-> scaffold <-> sandbox until submit or a limit.

Control flow follows mini-swe-agent: a step is one model call plus the actions it
asks for; FormatError, Submitted and LimitsExceeded steer the loop. Format errors and
command timeouts go back to the model as observations; limits end the run with their
exit status (the run is still graded); a patch the agent made impossible to take (too
large, repository destroyed) is graded as no patch, the reason in `error`; infrastructure
failures end it with `infra_error` and propagate. Every event is appended to the trajectory log.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from agentbench.agent.parse import is_submission, parse_reply
from agentbench.agent.secrets import json_fragment, redact, secret_values
from agentbench.agent.tools import Action, FormatError, shell_command, tool_specs
from agentbench.config import LimitsConfig, SystemConfig
from agentbench.errors import InfraError
from agentbench.logging import get_logger
from agentbench.models.base import Model
from agentbench.records import (
    ActionEvent,
    EndEvent,
    ExecResult,
    ExitStatus,
    FormatErrorEvent,
    Message,
    ModelCallEvent,
    ModelRequest,
    ModelResponse,
    ObservationEvent,
    Record,
    SampleKey,
    StartEvent,
    Usage,
    content_hash,
)
from agentbench.sandbox.base import PatchUnavailable, Sandbox
from agentbench.scaffold import Scaffold, load_scaffold
from agentbench.trajectory import TrajectoryWriter

log = get_logger("agentbench.agent")

# When the trajectory is fsynced: after every event, once per step (off the critical
# path, overlapping the next model call), or never (the OS flushes; a crash of this
# process loses nothing, a crash of the machine may lose the tail).
Durability = Literal["event", "step", "none"]


class Submitted(Exception):
    """The agent submitted (or, with `by_scaffold`, the scaffold's submit_after budget did)."""

    def __init__(self, *, by_scaffold: bool = False) -> None:
        self.by_scaffold = by_scaffold
        super().__init__()


class LimitsExceeded(Exception):
    """A limit ended the run."""

    def __init__(self, status: ExitStatus, detail: str) -> None:
        self.status = status
        super().__init__(detail)


class AgentResult(Record):
    """Summary of one unroll (the trajectory file has the details)."""

    exit_status: ExitStatus
    n_actions: int = 0
    n_steps: int = 0
    n_messages: int = 0
    n_format_errors: int = 0
    usage: Usage = Usage()
    cost_usd: float | None = None
    wall_s: float = 0.0
    patch: str = ""
    patch_omitted: list[str] = Field(default_factory=list)
    error: str | None = None
    trajectory_path: str | None = None


def truncate(text: str, head: int, tail: int, marker: str) -> tuple[str, int]:
    """Keep the first `head` and last `tail` characters; returns (text, characters elided)."""
    n = len(text)
    if n <= head + tail:
        return text, 0
    elided = n - head - tail
    return text[:head] + marker.format(elided=elided) + (text[n - tail :] if tail else ""), elided


class _Run:
    """State of one unroll."""

    def __init__(
        self,
        *,
        model: Model,
        scaffold: Scaffold,
        sandbox: Sandbox,
        key: SampleKey,
        system: SystemConfig,
        writer: TrajectoryWriter,
        replay: list[ModelResponse] | None,
        durability: Durability = "step",
    ) -> None:
        self.model = model
        self.scaffold = scaffold
        self.sandbox = sandbox
        self.key = key
        self.system = system
        self.limits: LimitsConfig = scaffold.effective_limits(system.limits)
        self.writer = writer
        self.replay = list(replay or [])
        self.messages: list[Message] = []
        self.usage = Usage()
        self.cost = 0.0
        self.cost_known = True
        self.step = 0
        self.n_actions = 0
        self.n_format_errors = 0
        self.t0 = time.monotonic()
        self.secrets = secret_values()
        self.tools = (
            tool_specs([(t.name, t.description) for t in scaffold.tools])
            if scaffold.action_format == "tool_calls"
            else []
        )
        self._warned_cost = False
        self.durability = durability
        self._pending_sync: asyncio.Task[None] | None = None
        # The request hash chains message digests, so each step costs O(new messages)
        # instead of re-serialising the whole conversation.
        mc = system.model
        self._params = content_hash(
            [mc.name, [t.model_dump(mode="json") for t in self.tools], mc.temperature, mc.top_p,
             mc.top_k, mc.max_tokens, mc.reasoning_budget, mc.reasoning_effort, key.seed],
            32,
        )  # fmt: skip
        self._chain = ""

    def add(self, msg: Message) -> None:
        """Append a message to the conversation (and to the request-hash chain)."""
        self.messages.append(msg)
        h = hashlib.sha256(self._chain.encode())
        h.update(msg.model_dump_json().encode())
        self._chain = h.hexdigest()

    def request_hash(self) -> str:
        """Content hash of the next request: sampling settings, tools, seed, messages."""
        return hashlib.sha256((self._params + self._chain).encode()).hexdigest()[:32]

    async def end_step(self) -> None:
        """Make the step durable (durability "step"): fsync in a thread, not awaited here."""
        if self.durability != "step":
            return
        await self.flush_sync()
        self._pending_sync = asyncio.create_task(asyncio.to_thread(self.writer.sync))

    async def flush_sync(self) -> None:
        """Wait for an fsync still in flight."""
        if self._pending_sync is not None:
            task, self._pending_sync = self._pending_sync, None
            await task

    # ------------------------------------------------------------ limits

    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.t0

    def check_limits(self) -> None:
        """Raise LimitsExceeded if any limit is reached (checked before each model call)."""
        lim = self.limits
        if self.elapsed() >= lim.max_wall_s:
            raise LimitsExceeded(
                ExitStatus.TIME_LIMIT, f"wall time {self.elapsed():.1f}s >= {lim.max_wall_s}s"
            )
        if self.n_format_errors >= lim.max_format_errors:
            raise LimitsExceeded(
                ExitStatus.FORMAT_ERROR_LIMIT, f"{self.n_format_errors} format errors"
            )
        if self.step >= lim.max_steps:
            raise LimitsExceeded(ExitStatus.STEP_LIMIT, f"{self.step} steps")
        if len(self.messages) >= lim.max_messages:
            raise LimitsExceeded(ExitStatus.MESSAGE_LIMIT, f"{len(self.messages)} messages")
        total = self.usage.input_tokens + self.usage.output_tokens
        if lim.max_tokens is not None and total >= lim.max_tokens:
            raise LimitsExceeded(ExitStatus.TOKEN_LIMIT, f"{total} tokens")
        if lim.max_cost_usd is not None:
            if not self.cost_known and not self._warned_cost:
                self._warned_cost = True
                log.warning(
                    "cost_limit_partial",
                    key=self.key.key,
                    reason="some call costs are unknown; the limit counts known costs only",
                )
            if self.cost >= lim.max_cost_usd:
                raise LimitsExceeded(ExitStatus.COST_LIMIT, f"${self.cost:.4f}")

    # ------------------------------------------------------------ model

    def _request(self) -> ModelRequest:
        mc = self.system.model
        return ModelRequest(
            model=mc.name,
            messages=list(self.messages),
            tools=self.tools,
            temperature=mc.temperature,
            top_p=mc.top_p,
            top_k=mc.top_k,
            max_tokens=mc.max_tokens,
            seed=self.key.seed,
            reasoning_budget=mc.reasoning_budget,
            reasoning_effort=mc.reasoning_effort,
        )

    async def query(self) -> ModelResponse:
        """One model call (or the next recorded response when replaying)."""
        request = self._request()
        request_hash = self.request_hash()
        self.step += 1
        replayed = self.step <= len(self.replay)
        if replayed:
            resp = self.replay[self.step - 1]
        else:
            remaining = self.limits.max_wall_s - self.elapsed()
            try:
                resp = await asyncio.wait_for(
                    self.model.acomplete(request, seed_index=self.key.seed),
                    timeout=max(remaining, 0.001),
                )
            except TimeoutError:
                if self.elapsed() >= self.limits.max_wall_s:
                    raise LimitsExceeded(
                        ExitStatus.TIME_LIMIT, "wall time ran out during a model call"
                    ) from None
                raise
        self.emit(
            ModelCallEvent(
                step=self.step,
                request_hash=request_hash,
                response=resp,
                replayed=replayed,
                t=time.time(),
            )
        )
        self.usage = self.usage + resp.usage
        if resp.cost_usd is None:
            self.cost_known = False
        else:
            self.cost += resp.cost_usd
        self.add(
            Message(
                role="assistant",
                content=resp.text,
                reasoning=resp.reasoning,
                tool_calls=resp.tool_calls,
                # Signed thinking blocks must go back verbatim, also for replayed responses
                # (a fork continues live after them).
                provider_state=resp.provider_state,
            )
        )
        return resp

    # ------------------------------------------------------------ actions

    async def act(self, resp: ModelResponse) -> None:
        """Run every action in the reply; format errors become observations."""
        try:
            items = parse_reply(self.scaffold, resp)
        except FormatError as exc:
            self.format_error(exc)
            return
        for item in items:
            if isinstance(item, FormatError):
                self.format_error(item)
            else:
                await self.execute(item)

    def format_error(self, exc: FormatError) -> None:
        """Tell the model what was wrong with its reply."""
        self.n_format_errors += 1
        text = self.scaffold.render("format_error_template", {"error": str(exc)})
        msg = self._obs_message(text, exc.tool_call_id)
        self.emit(FormatErrorEvent(step=self.step, error=str(exc), message=msg, t=time.time()))
        self.add(msg)

    def _obs_message(self, text: str, tool_call_id: str | None) -> Message:
        if tool_call_id is not None:
            return Message(role="tool", content=text, tool_call_id=tool_call_id)
        return Message(role="user", content=text)

    async def execute(self, action: Action) -> None:
        """Run one action in the sandbox and send back its observation."""
        self.n_actions += 1
        self.emit(
            ActionEvent(
                step=self.step,
                tool=action.tool,
                arguments=action.arguments,
                tool_call_id=action.tool_call_id,
                t=time.time(),
            )
        )
        command = shell_command(action)
        if command is None:  # the submit tool
            msg = self._obs_message("Submitted.", action.tool_call_id)
            self.emit(ObservationEvent(step=self.step, result=None, message=msg, t=time.time()))
            self.add(msg)
            raise Submitted
        result = await self.run_command(command)
        msg = self._obs_message(self.render_observation(result), action.tool_call_id)
        self.emit(ObservationEvent(step=self.step, result=result, message=msg, t=time.time()))
        self.add(msg)
        if is_submission(self.scaffold, action, result.output):
            raise Submitted
        budget = self.scaffold.submit_after
        if budget is not None and self.n_actions >= budget:
            raise Submitted(by_scaffold=True)

    async def run_command(self, command: str) -> ExecResult:
        """Execute in the sandbox (in a thread); sandbox failures become InfraError."""
        remaining = self.limits.max_wall_s - self.elapsed()
        timeout = max(1.0, min(self.limits.command_timeout_s, remaining))
        try:
            result = await asyncio.to_thread(self.sandbox.exec, command, timeout)
        except InfraError:
            raise
        except Exception as exc:
            raise InfraError("sandbox", f"exec failed: {type(exc).__name__}: {exc}") from exc
        if self.secrets:
            clean = redact(result.output, self.secrets)
            if clean != result.output:
                log.warning("secret_redacted", key=self.key.key, step=self.step)
                result = result.model_copy(update={"output": clean})
        return result

    def render_observation(self, result: ExecResult) -> str:
        """The observation text: output truncated head/tail, through the scaffold template."""
        tr = self.scaffold.truncation
        output, elided = truncate(result.output, tr.head_chars, tr.tail_chars, tr.marker)
        variables: dict[str, Any] = {
            "output": output,
            "exit_code": result.exit_code,
            "timeout": self.limits.command_timeout_s,
            "truncated": bool(elided) or result.truncated,
            "elided": elided,
        }
        field = "timeout_template" if result.timed_out else "observation_template"
        return self.scaffold.render(field, variables)

    # ------------------------------------------------------------ log

    def emit(self, event: Record) -> None:
        """Append one event to the trajectory, every text in it redacted (replies, reasoning, commands)."""
        if self.secrets:
            raw = event.model_dump_json()
            # a key the model typed, echoed or reasoned about is as stored as one a command printed
            clean = redact(raw, tuple(json_fragment(s) for s in self.secrets))
            if clean != raw:
                log.warning(
                    "secret_redacted", key=self.key.key, step=self.step, kind=type(event).__name__
                )
                event = type(event).model_validate_json(clean)
        self.writer.write(event)

    def result(self, status: ExitStatus, patch: str, error: str | None, path: Path) -> AgentResult:
        """The run's summary (also what the end event records)."""
        return AgentResult(
            exit_status=status,
            n_actions=self.n_actions,
            n_steps=self.step,
            n_messages=len(self.messages),
            n_format_errors=self.n_format_errors,
            usage=self.usage,
            cost_usd=self.cost if self.cost_known else None,
            wall_s=self.elapsed(),
            patch=patch,
            error=error,
            trajectory_path=str(path),
        )


async def arun_agent(
    *,
    model: Model,
    scaffold: Scaffold | str,
    sandbox: Sandbox,
    key: SampleKey,
    system: SystemConfig,
    task_vars: dict[str, Any],
    trajectory_path: Path,
    patch_fn: Callable[[], str] | None = None,
    task_info: dict[str, Any] | None = None,
    replay: list[ModelResponse] | None = None,
    durability: Durability = "step",
) -> AgentResult:
    """Run one unroll to submit or a limit, logging every event; see the module doc."""
    if isinstance(scaffold, str):
        scaffold = load_scaffold(scaffold, system.scaffold_overrides)
    path = Path(trajectory_path)
    # Render first: a template error is a config problem and must not leave a half-written log.
    initial = [
        Message(role="system", content=scaffold.render("system_template", task_vars)),
        Message(role="user", content=scaffold.render("instance_template", task_vars)),
    ]
    with TrajectoryWriter(path, fsync=durability == "event") as writer:
        run = _Run(
            model=model,
            scaffold=scaffold,
            sandbox=sandbox,
            key=key,
            system=system,
            writer=writer,
            replay=replay,
            durability=durability,
        )
        for m in initial:
            run.add(m)
        ended = False
        try:
            run.emit(
                StartEvent(
                    key=key,
                    system_config=system.model_dump(mode="json"),
                    task_info=dict(task_info or {}),
                    messages=list(run.messages),
                    scaffold=scaffold.model_dump(mode="json"),
                    task_vars=dict(task_vars),
                    t=time.time(),
                )
            )
            log.debug("agent_start", key=key.key, scaffold=scaffold.name, seed=key.seed)
            error: str | None = None
            try:
                while True:
                    run.check_limits()
                    resp = await run.query()
                    await run.act(resp)
                    await run.end_step()
            except Submitted as exc:
                status = ExitStatus.AUTO_SUBMITTED if exc.by_scaffold else ExitStatus.SUBMITTED
            except LimitsExceeded as exc:
                status, error = exc.status, str(exc)
            patch = ""
            if patch_fn is not None:
                try:
                    patch = await asyncio.to_thread(patch_fn)
                except InfraError:
                    raise
                except PatchUnavailable as exc:
                    # The agent's doing, not the infrastructure's: graded as no patch, on record.
                    error = f"{error}; {exc}" if error else str(exc)
                    log.warning("agent_patch_too_large", key=key.key, error=str(exc))
                except Exception as exc:
                    raise InfraError(
                        "sandbox", f"patch failed: {type(exc).__name__}: {exc}"
                    ) from exc
            # A sandbox that left files out of the patch (too large) says which; on record.
            omitted = list(sandbox.diff_omitted) if patch_fn else []
            await run.flush_sync()
            res = run.result(status, patch, error, path).model_copy(
                update={"patch_omitted": omitted}
            )
            ended = True
            run.emit(
                EndEvent(
                    exit_status=status,
                    patch=patch,
                    patch_omitted=omitted,
                    n_actions=res.n_actions,
                    n_messages=res.n_messages,
                    usage=res.usage,
                    cost_usd=res.cost_usd,
                    wall_s=res.wall_s,
                    error=error,
                    t=time.time(),
                )
            )
            if durability == "step":
                writer.sync()
            log.info(
                "agent_end",
                key=key.key,
                exit_status=status.value,
                steps=res.n_steps,
                actions=res.n_actions,
            )
            return res
        except BaseException as exc:
            pending = run._pending_sync
            if pending is not None and not pending.done():
                await asyncio.wait([pending])  # never close the file under a running fsync
            if not ended:
                reason = exc.reason if isinstance(exc, InfraError) else type(exc).__name__
                log.warning("agent_infra_error", key=key.key, reason=reason, error=str(exc)[:500])
                res = run.result(ExitStatus.INFRA_ERROR, "", f"{type(exc).__name__}: {exc}", path)
                run.emit(
                    EndEvent(
                        exit_status=ExitStatus.INFRA_ERROR,
                        n_actions=res.n_actions,
                        n_messages=res.n_messages,
                        usage=res.usage,
                        cost_usd=res.cost_usd,
                        wall_s=res.wall_s,
                        error=res.error,
                        t=time.time(),
                    )
                )
            raise
