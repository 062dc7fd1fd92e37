"""Every paper spec loads and validates (tasks included) once its model placeholder is set."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentbench.errors import ConfigError
from agentbench.sweep.spec import load_spec
from agentbench.tasks.mc.task import MCTaskSpec
from agentbench.tasks.swebench.task import SWEBenchTaskSpec
from agentbench.tasks.synthetic.config import load_config

PAPER = Path(__file__).resolve().parents[2] / "agentbench" / "sweeps" / "paper"
SWEEPS = sorted(p for p in PAPER.glob("*.yaml") if not p.name.startswith("synth"))


def test_the_paper_experiments_are_all_there() -> None:
    assert {p.stem for p in PAPER.glob("*.yaml")} == {
        "swebench_verified", "gpqa_diamond", "mmlu", "mwe_safety", "synth_optimizer",
    }  # fmt: skip


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.stem)
def test_paper_spec_validates_with_model_set(path: Path) -> None:
    spec = load_spec(path, ["model=claude-sonnet-4-5"])
    assert all(s.model.name == "claude-sonnet-4-5" for s in spec.systems)
    assert len(spec.seed_list()) >= 30
    text = path.read_text()
    assert ("Hot Mess" in text and "hub_name" in text) or "dataset: princeton-nlp/" in text
    for t in spec.tasks:
        (SWEBenchTaskSpec if t["kind"] == "swebench" else MCTaskSpec).model_validate(t)


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.stem)
def test_unset_model_is_a_one_line_error_naming_the_fix(path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        load_spec(path)
    assert "--set model=" in str(e.value) and path.name in str(e.value)


def test_swebench_spec_is_the_papers_setup() -> None:
    spec = load_spec(PAPER / "swebench_verified.yaml", ["model=gpt-5", "provider=openai"])
    (sys,) = spec.systems
    assert sys.model.provider == "openai" and sys.scaffold == "bash-react"
    assert sys.limits.max_messages == 250 and sys.limits.max_wall_s == 3600
    assert spec.tasks[0]["dataset"] == "princeton-nlp/SWE-bench_Verified"


def test_mmlu_caps_100_per_subject_and_synth_is_paper_scale() -> None:
    spec = load_spec(PAPER / "mmlu.yaml", ["model=x"])
    assert spec.tasks[0]["dataset"]["per_subject"] == 100
    assert len({s.model.reasoning_budget for s in spec.systems}) == 3
    cfg = load_config(str(PAPER / "synth_optimizer.yaml"))
    assert cfg.data.n_train == 20000 and cfg.train.steps == 65536 and "5m" in cfg.sizes
