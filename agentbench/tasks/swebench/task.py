"""SWEBenchTask: one attempt = agent unroll in the instance image, then grading in a fresh container."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from agentbench.config import SystemConfig
from agentbench.errors import ConfigError, InfraError, UserError
from agentbench.logging import get_logger
from agentbench.records import (
    LIMIT_STATUSES,
    ExitStatus,
    SampleKey,
    SampleResult,
    SampleStatus,
    TestOutcome,
    first_problem,
)
from agentbench.sandbox.mirror import check_registry
from agentbench.tasks.base import Task
from agentbench.tasks.swebench import grading
from agentbench.tasks.swebench.dataset import Dataset, load_dataset, select
from agentbench.tasks.swebench.environment import DETERMINISM_ENV, WORKDIR, ensure_image
from agentbench.tasks.swebench.evalscript import patch_files
from agentbench.tasks.swebench.patch import filter_patch
from agentbench.tasks.swebench.schema import SWEInstance

if TYPE_CHECKING:
    from agentbench.sandbox.base import Sandbox

log = get_logger(__name__)


class SWEBenchTaskSpec(BaseModel):
    """The task spec a sweep file gives (and a Ray worker rebuilds the task from)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["swebench"] = "swebench"
    name: str | None = None  # defaults to the dataset's name
    dataset: str
    split: str = "test"
    instance_ids: list[str] | None = None
    filter: str | None = None  # regex on instance_id
    slice: str | None = None  # "start:stop[:step]" after filtering / shuffling
    shuffle_seed: int | None = None
    image_source: Literal["build", "prebuilt"] = "build"
    ca_bundle: str | None = None
    # HOST:PORT of a registry `agentbench sandbox push` filled: nodes pull images, not build
    registry: Annotated[str, AfterValidator(check_registry)] | None = None
    test_timeout_s: float = Field(default=1800.0, gt=0)
    regrade: int = Field(default=1, ge=1)
    mem_limit: str | None = None


def trajectory_rel(key: SampleKey) -> str:
    """A sample's trajectory path relative to the run folder."""
    return f"trajectories/{key.key}.jsonl"


class SWEBenchTask(Task):
    """A selection of SWE-bench style instances, unrolled under a system and graded per test."""

    def __init__(self, spec: SWEBenchTaskSpec, dataset: Dataset | None = None) -> None:
        self.spec = spec
        self.dataset = (
            dataset if dataset is not None else load_dataset(spec.dataset, split=spec.split)
        )
        self.instances = select(
            self.dataset.instances,
            ids=spec.instance_ids,
            pattern=spec.filter,
            slice_=spec.slice,
            shuffle_seed=spec.shuffle_seed,
        )
        self._by_id = {i.instance_id: i for i in self.instances}
        self.name = spec.name or self.dataset.source
        self._images: dict[str, str] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> SWEBenchTask:
        """Build from a spec dict; a wrong key or value raises ConfigError naming it."""
        try:
            parsed = SWEBenchTaskSpec.model_validate(spec)
        except ValidationError as exc:
            loc, msg, _ = first_problem(exc)
            fix = f"valid keys: {', '.join(SWEBenchTaskSpec.model_fields)}"
            raise ConfigError(msg, field=f"tasks.{loc}", fix=fix) from None
        return cls(parsed)

    # ---------------------------------------------------------------- Task interface

    def instance_ids(self) -> list[str]:
        """The selected instances, in a stable order."""
        return [i.instance_id for i in self.instances]

    def instance(self, instance_id: str) -> SWEInstance:
        """The instance called `instance_id` (ConfigError if it is not selected)."""
        try:
            return self._by_id[instance_id]
        except KeyError:
            raise ConfigError(
                f"instance {instance_id!r} is not in task {self.name}", field="instance_id"
            ) from None

    def image(self, inst: SWEInstance) -> str:
        """The instance's image, built once per task object."""
        with self._lock:
            tag = self._images.get(inst.instance_id)
            if tag is None:
                tag = ensure_image(
                    inst,
                    self.dataset.suite,
                    source=self.spec.image_source,
                    ca_bundle=self.spec.ca_bundle,
                    mirror=self.spec.registry,
                )
                self._images[inst.instance_id] = tag
            return tag

    def task_info(self, inst: SWEInstance, image: str) -> dict[str, Any]:
        """What a replay needs to rebuild the sandbox, plus the fixed container settings."""
        return {
            "instance_id": inst.instance_id,
            "repo": inst.repo,
            "base_commit": inst.base_commit,
            "image": image,
            "workdir": WORKDIR,
            "env": dict(DETERMINISM_ENV),
            "dataset": self.dataset.source,
            "task": self.name,
        }

    def check_system(self, system: SystemConfig) -> None:
        """ConfigError when `system`'s scaffold is missing or invalid (before any image build)."""
        from agentbench.scaffold import load_scaffold

        load_scaffold(system.scaffold, system.scaffold_overrides)

    def reap_orphans(self) -> None:
        """Remove the sandboxes of dead agentbench processes on this host."""
        from agentbench.sandbox.reaper import reap_orphans

        reap_orphans()

    def prepare(self, on_instance: Callable[[str], None]) -> None:
        """Build every selected instance's image now."""
        for inst in self.instances:
            on_instance(inst.instance_id)
            self.image(inst)

    async def arun_sample(
        self, key: SampleKey, system: SystemConfig, run_dir: Path
    ) -> SampleResult:
        """Unroll the agent in a fresh sandbox, then grade its patch in another fresh container."""
        from agentbench.agent.loop import arun_agent
        from agentbench.models.factory import make_model
        from agentbench.scaffold import load_scaffold

        inst = self.instance(key.instance_id)
        started = time.time()
        image = await asyncio.to_thread(self.image, inst)
        rel = trajectory_rel(key)
        traj = Path(run_dir) / rel
        traj.unlink(missing_ok=True)  # a retried attempt starts a fresh log
        scaffold = load_scaffold(system.scaffold, system.scaffold_overrides)
        model = make_model(system.model)
        sandbox = await asyncio.to_thread(self._open_sandbox, image, key)
        try:
            # A broken image fails here as infrastructure; once checked, a repository found
            # broken at the end is the agent's doing (graded as no patch).
            await asyncio.to_thread(sandbox.verify_repo, inst.base_commit)
            result = await arun_agent(
                model=model,
                scaffold=scaffold,
                sandbox=sandbox,
                key=key,
                system=system,
                task_vars=self.task_vars(inst),
                trajectory_path=traj,
                patch_fn=lambda: agent_patch(sandbox, inst),
                task_info=self.task_info(inst, image),
            )
        finally:
            await asyncio.to_thread(sandbox.close)
            await model.aclose()  # its connections on this loop; one model per sample
            model.close()
        if result.exit_status == ExitStatus.INFRA_ERROR:
            raise InfraError(
                "agent", result.error or "the agent loop hit an infrastructure failure"
            )
        outcome = await asyncio.to_thread(
            self.grade,
            inst,
            result.patch,
            exit_status=result.exit_status,
            run_dir=Path(run_dir),
            key=key,
        )
        finished = time.time()
        return SampleResult(
            key=key,
            status=SampleStatus.DONE,
            outcome=outcome,
            resolved=outcome.resolved,
            exit_status=result.exit_status,
            n_actions=result.n_actions,
            length=float(result.n_actions),
            usage=result.usage,
            cost_usd=result.cost_usd,
            started_at=started,
            finished_at=finished,
            wall_s=finished - started,
            trajectory_path=rel,
        )

    def task_vars(self, inst: SWEInstance) -> dict[str, Any]:
        """Variables the scaffold's templates render with."""
        return {
            "problem_statement": inst.problem_statement,
            "repo": inst.repo,
            "instance_id": inst.instance_id,
            "workdir": WORKDIR,
            "base_commit": inst.base_commit,
            "hints_text": inst.hints_text,
        }

    def grade(
        self,
        inst: SWEInstance,
        patch: str,
        *,
        exit_status: ExitStatus | None = None,
        run_dir: Path | None = None,
        key: SampleKey | None = None,
    ) -> TestOutcome:
        """Grade a patch; a limit-ended run or an empty patch is "unchanged" (METHODS.md §2b)."""
        if (exit_status is not None and exit_status in LIMIT_STATUSES) or not patch.strip():
            return grading.unchanged_outcome(inst)
        log_path = (
            run_dir / "grading" / f"{key.key}.log"
            if run_dir is not None and key is not None
            else None
        )
        kwargs: dict[str, Any] = {
            "image": self.image(inst),
            "suite": self.dataset.suite,
            "timeout_s": self.spec.test_timeout_s,
            "log_path": log_path,
            "mem_limit": self.spec.mem_limit,
        }
        if self.spec.regrade > 1:
            merged, _ = grading.regrade(inst, patch, self.spec.regrade, **kwargs)
            return merged
        return grading.grade(inst, patch, **kwargs)

    def _open_sandbox(self, image: str, key: SampleKey) -> Sandbox:
        from agentbench.agent.secrets import sandbox_env
        from agentbench.sandbox.docker import DockerSandbox

        try:
            return DockerSandbox(
                image,
                run_id=key.key,
                network=False,
                workdir=WORKDIR,
                env={**sandbox_env(), **DETERMINISM_ENV},
            )
        except UserError:
            raise
        except Exception as exc:
            raise InfraError("sandbox", f"{image}: {type(exc).__name__}: {exc}") from exc


def agent_patch(sandbox: Sandbox, inst: SWEInstance) -> str:
    """The working tree's diff against base_commit, without test_patch paths or test-looking files."""
    exclude = patch_files(inst.test_patch)
    return filter_patch(sandbox.diff(inst.base_commit, exclude=exclude), exclude)
