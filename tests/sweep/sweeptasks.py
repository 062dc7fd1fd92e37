"""Task kinds used to test sweeps (real Task implementations, not mocks).

`SeedTask`: a pure-Python task whose answer depends on (instance, seed, system); it writes a
real trajectory file, can sleep, and can fail with InfraError on chosen instances (attempts
are counted in files, so the count survives a crash and crosses processes).

`ChatTask`: asks a model over HTTP with the real openai client and grades the letter it
answers as a multiple-choice outcome.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from pathlib import Path
from typing import Any

from agentbench.config import SystemConfig
from agentbench.errors import InfraError
from agentbench.records import (
    ChoiceOutcome,
    EndEvent,
    ExitStatus,
    Message,
    SampleKey,
    SampleResult,
    SampleStatus,
    StartEvent,
    Usage,
    content_hash,
)
from agentbench.tasks.base import Task
from agentbench.trajectory import TrajectoryWriter

LETTERS = "ABCD"


def trajectory_rel(key: SampleKey) -> str:
    """Where these tasks write a sample's trajectory (the file name carries the key)."""
    return f"trajectories/{key.task}/{key.instance_id}/{key.key}.jsonl"


def _bump(run_dir: Path, key: SampleKey) -> int:
    """Count one attempt at `key` in a file; returns the attempt number."""
    d = run_dir / "attempts"
    d.mkdir(exist_ok=True)
    with open(d / key.key, "a", encoding="utf-8") as fh:
        fh.write("x")
        fh.flush()
        os.fsync(fh.fileno())
    return (d / key.key).stat().st_size


def _choice_result(
    key: SampleKey, answer: int, rel: str, started: float, **kw: Any
) -> SampleResult:
    probs = [0.0] * len(LETTERS)
    probs[answer] = 1.0
    now = time.time()
    return SampleResult(
        key=key,
        status=SampleStatus.DONE,
        outcome=ChoiceOutcome(probs=probs, target=0, answer_text=LETTERS[answer]),
        resolved=answer == 0,
        exit_status=ExitStatus.SUBMITTED,
        n_actions=1,
        started_at=started,
        finished_at=now,
        wall_s=now - started,
        trajectory_path=rel,
        **kw,
    )


class SeedTask(Task):
    """Answer = hash(instance, seed, system) mod 4; correct answer is A."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.name = str(spec.get("name", "seeds"))
        self.n = int(spec.get("instances", 3))
        self.sleep_s = float(spec.get("sleep_s", 0.0))
        self.flaky = dict(spec.get("flaky", {}))  # instance -> failing attempts before success
        self.broken = set(spec.get("broken", []))  # instances that always fail (infra)
        self.cost = spec.get("cost_usd", 0.001)

    def instance_ids(self) -> list[str]:
        """q0..q{n-1}."""
        return [f"q{i}" for i in range(self.n)]

    async def arun_sample(
        self, key: SampleKey, system: SystemConfig, run_dir: Path
    ) -> SampleResult:
        """Write a trajectory, maybe fail like infrastructure does, answer by hash."""
        started = time.time()
        attempt = _bump(run_dir, key)
        if key.instance_id in self.broken:
            raise InfraError("sandbox_start", f"instance {key.instance_id} never starts")
        if attempt <= int(self.flaky.get(key.instance_id, 0)):
            raise InfraError("sandbox_start", f"attempt {attempt} failed")
        rel = trajectory_rel(key)
        with TrajectoryWriter(run_dir / rel, fsync=False) as tw:
            tw.write(StartEvent(key=key, t=started, messages=[Message(role="user", content="q")]))
            if self.sleep_s:
                await asyncio.sleep(self.sleep_s)
            answer = int(content_hash([key.instance_id, key.seed, key.system_hash]), 16) % 4
            tw.write(EndEvent(exit_status=ExitStatus.SUBMITTED, n_actions=1, t=time.time()))
        with open(run_dir / "ledger.txt", "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {key.key}\n")
        return _choice_result(key, answer, rel, started, length=1.0, cost_usd=self.cost)


def ask_text(instance_id: str) -> str:
    """The question a ChatTask sends for an instance."""
    return f"Question {instance_id}: answer with one letter A-D."


def scripted_answer(instance_id: str, seed: int | None, temperature: float | None) -> str:
    """What the test responder answers: deterministic in (instance, seed, temperature)."""
    return LETTERS[int(content_hash([instance_id, seed, temperature]), 16) % 4]


class ChatTask(Task):
    """One model call per sample through the openai client; the letter answered is the outcome."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.name = str(spec.get("name", "chat"))
        self.n = int(spec.get("instances", 3))
        self._async_clients: dict[str, Any] = {}

    def instance_ids(self) -> list[str]:
        """q0..q{n-1}."""
        return [f"q{i}" for i in range(self.n)]

    def _request(self, key: SampleKey, system: SystemConfig) -> dict[str, Any]:
        return {
            "model": system.model.name,
            "messages": [{"role": "user", "content": ask_text(key.instance_id)}],
            "seed": key.seed,
            "temperature": system.model.temperature,
        }

    def _result(
        self, key: SampleKey, run_dir: Path, text: str, usage: Any, started: float
    ) -> SampleResult:
        m = re.search(r"\b([ABCD])\b", text)
        answer = LETTERS.index(m.group(1)) if m else 3
        rel = trajectory_rel(key)
        with TrajectoryWriter(run_dir / rel, fsync=False) as tw:
            tw.write(StartEvent(key=key, t=started))
            tw.write(EndEvent(exit_status=ExitStatus.SUBMITTED, n_actions=1, t=time.time()))
        u = Usage(input_tokens=usage.prompt_tokens, output_tokens=usage.completion_tokens)
        return _choice_result(key, answer, rel, started, length=float(u.output_tokens), usage=u)

    async def arun_sample(
        self, key: SampleKey, system: SystemConfig, run_dir: Path
    ) -> SampleResult:
        """One chat completion; its letter is the answer."""
        import openai

        started = time.time()
        url = f"{system.model.base_url}/v1"
        # one client per event loop: its connection pool belongs to the loop
        ck = f"{url}@{id(asyncio.get_running_loop())}"
        client = self._async_clients.get(ck)
        if client is None:
            client = self._async_clients[ck] = openai.AsyncOpenAI(
                base_url=url, api_key="x", max_retries=0
            )
        try:
            resp = await client.chat.completions.create(**self._request(key, system))
        except openai.APIError as exc:
            raise InfraError("model_api", str(exc)) from None
        return self._result(
            key, run_dir, resp.choices[0].message.content or "", resp.usage, started
        )

    async def aclose(self) -> None:
        """Close the clients of the running loop (the executor calls this at the end)."""
        suffix = f"@{id(asyncio.get_running_loop())}"
        for ck in [k for k in self._async_clients if k.endswith(suffix)]:
            await self._async_clients.pop(ck).close()
