"""Fixtures for agent tests: a tiny git repo in a real Docker sandbox, scripted models."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from agentbench.agent.loop import AgentResult, arun_agent
from agentbench.config import LimitsConfig, ModelConfig, SystemConfig
from agentbench.records import SampleKey

WORKDIR = "/work/repo"
TASK_VARS = {
    "problem_statement": "add(a, b) in calc.py returns a - b; it must return a + b.",
    "repo": "example/calc",
    "instance_id": "calc-1",
    "workdir": WORKDIR,
}
_REPO_SETUP = f"""mkdir -p {WORKDIR} && cd {WORKDIR} \\
&& printf 'def add(a, b):\\n    return a - b\\n' > calc.py \\
&& printf 'from calc import add\\n\\ndef test_add():\\n    assert add(2, 3) == 5\\n' > test_calc.py \\
&& git init -q && git add -A \\
&& git -c user.email=t@example.com -c user.name=t commit -qm init && echo READY"""


def run_agent(**kwargs: Any) -> AgentResult:
    """One unroll from sync test code: `arun_agent` on a loop of its own."""
    return asyncio.run(arun_agent(**kwargs))


_ids = itertools.count()


def setup_repo(sb: Any) -> None:
    """Create the toy repository inside the sandbox (through its shell, as a task would)."""
    r = sb.exec(_REPO_SETUP, 60)
    assert r.exit_code == 0 and "READY" in r.output, r.output


@pytest.fixture
def make_sandbox(base_image: str) -> Iterator[Callable[[], contextlib.AbstractContextManager[Any]]]:
    """A factory of fresh sandboxes holding the toy repo; all are closed after the test."""
    from agentbench.agent.secrets import sandbox_env
    from agentbench.sandbox.docker import DockerSandbox

    opened: list[Any] = []

    @contextlib.contextmanager
    def factory() -> Iterator[Any]:
        sb = DockerSandbox(
            base_image,
            run_id=f"{os.environ.get('AGENTBENCH_TEST_RUN', 'pytest')}-agent-{next(_ids)}",
            workdir=WORKDIR,
            env=sandbox_env(),
        )
        opened.append(sb)
        with sb:
            setup_repo(sb)
            sb.exec(f"cd {WORKDIR}", 10)
            yield sb

    yield factory
    for sb in opened:
        sb.close()


@pytest.fixture
def sandbox(make_sandbox: Callable[[], contextlib.AbstractContextManager[Any]]) -> Iterator[Any]:
    """One fresh sandbox with the toy repo, shell already in the repo."""
    with make_sandbox() as sb:
        yield sb


def system_for(
    base_url: str, scaffold: str = "bash-react", limits: dict[str, Any] | None = None, **model: Any
) -> SystemConfig:
    """A system pointing at a scripted server."""
    mc = ModelConfig(
        provider="scripted", name="scripted-1", base_url=base_url, max_retries=0, **model
    )
    return SystemConfig(
        name="test-" + scaffold,
        model=mc,
        scaffold=scaffold,
        limits=LimitsConfig.model_validate(limits or {}),
    )


def key_for(system: SystemConfig, seed: int = 0) -> SampleKey:
    """The sample key of one unroll of the toy task."""
    return SampleKey(
        task="toy",
        instance_id="calc-1",
        system=system.name,
        system_hash=system.config_hash(),
        seed=seed,
    )
