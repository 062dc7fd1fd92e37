"""The experiment config for `agentbench synth` (YAML -> pydantic), with one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from agentbench.errors import ConfigError
from agentbench.records import Record, content_hash, first_problem
from agentbench.safeyaml import read_yaml

CONFIG_DIR = Path(__file__).parent / "configs"


class ProblemConfig(Record):
    """The quadratic and its start cloud (see data.py)."""

    d: int = Field(4, ge=1, le=16)
    condition: float = Field(50.0, ge=1.0)
    eta: float = Field(0.005, gt=0.0)
    b_scale: float = Field(1.0, ge=0.0)
    start_offset: float = Field(1.0, ge=0.0)
    start_radius: float = Field(0.25, ge=0.0)
    # training starts: this fraction from b + train_radius·U[-1,1]^d, the rest from the
    # rollout cloud (data.sample_train_starts says why)
    train_spread: float = Field(0.5, ge=0.0, le=1.0)
    train_radius: float = Field(1.0, gt=0.0)


class DataConfig(Record):
    """How many ground-truth trajectories to generate, and how long."""

    n_train: int = Field(20000, ge=1)
    n_heldout: int = Field(256, ge=1)
    steps: int = Field(4096, ge=1)  # iterates per trajectory
    eval_pairs: int = Field(8192, ge=1)  # held-out (iterate, update) pairs for the loss


class TrainConfig(Record):
    """Optimisation settings (mirrors train.TrainHParams)."""

    steps: int = Field(65536, ge=1)
    batch_size: int = Field(1024, ge=1)
    lr: float = Field(1e-3, gt=0.0)
    min_lr_ratio: float = Field(0.1, ge=0.0, le=1.0)
    warmup_steps: int = Field(1000, ge=0)
    weight_decay: float = Field(0.1, ge=0.0)
    beta1: float = Field(0.9, ge=0.0, lt=1.0)
    beta2: float = Field(0.95, ge=0.0, lt=1.0)
    grad_clip: float = Field(1.0, gt=0.0)
    bf16: bool = True  # bf16 autocast on CUDA
    log_every: int = Field(500, ge=1)  # also the checkpoint interval


class RolloutConfig(Record):
    """Evaluation rollouts: N held-out start points for T steps."""

    n_starts: int = Field(4096, ge=2)
    steps: int = Field(2048, ge=1)
    record_every: int = Field(1, ge=1)


class SynthConfig(Record):
    """One synthetic-optimizer experiment: a problem, data, model sizes, training, rollouts."""

    name: str
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = None  # torch CPU threads; None keeps torch's default
    out_dir: str = "runs/synth"
    sizes: list[str] = Field(min_length=1)
    problem: ProblemConfig = Field(default_factory=ProblemConfig)
    data: DataConfig = Field(default_factory=DataConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    rollout: RolloutConfig = Field(default_factory=RolloutConfig)

    @model_validator(mode="after")
    def _known_sizes(self) -> SynthConfig:
        from agentbench.tasks.synthetic.sizes import load_sizes

        table = load_sizes()
        unknown = [s for s in self.sizes if s not in table]
        if unknown:
            raise ValueError(f"unknown size(s) {unknown}; the table has {sorted(table)}")
        return self

    def data_hash(self) -> str:
        """Hash of what fixes the training data and the optimisation (not sizes or rollouts)."""
        return content_hash(
            [self.seed, self.problem.model_dump(), self.data.model_dump(), self.train.model_dump()]
        )


def load_config(path: str | Path) -> SynthConfig:
    """Read a YAML config (a path, or the name of a packaged config such as `tiny`)."""
    p = Path(path)
    if not p.exists() and (CONFIG_DIR / f"{path}.yaml").is_file():
        p = CONFIG_DIR / f"{path}.yaml"
    if not p.is_file():
        packaged = sorted(q.stem for q in CONFIG_DIR.glob("*.yaml") if q.stem != "sizes")
        raise ConfigError(
            "no such config file", path=str(path), fix=f"pass a YAML path or one of {packaged}"
        )
    raw = read_yaml(p, what="config", fix="see agentbench/tasks/synthetic/configs/tiny.yaml")
    try:
        return SynthConfig.model_validate(raw)
    except ValidationError as exc:
        loc, msg, _ = first_problem(exc)
        fix = "see agentbench/tasks/synthetic/configs/"
        raise ConfigError(msg, path=str(p), field=loc or "(top level)", fix=fix) from None
