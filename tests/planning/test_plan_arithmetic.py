"""The plan's arithmetic on small specs, checked by hand: samples, token bounds, measured
tokens from a real run store, cost from a known price entry, unknown prices shown unknown."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from rich.console import Console

from agentbench.config import LimitsConfig, ModelConfig, SystemConfig
from agentbench.planning.build import build_plan
from agentbench.planning.render import print_plan
from agentbench.records import SampleKey, SampleResult, SampleStatus, Usage
from agentbench.store.runstore import RunStore
from agentbench.sweep.spec import SweepSpec
from tests.cli_run import run_cli

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "suites" / "agentbench-tiny"
MC = {
    "kind": "mc",
    "name": "arith",
    "dataset": {"source": "procedural", "n": 5, "difficulty": [1, 2]},
}


def mc_system(name: str, model: str, **kw: object) -> SystemConfig:
    return SystemConfig(
        name=name,
        model=ModelConfig(provider="openai", name=model, max_tokens=100, **kw),
        scaffold="mc",
    )


def spec(tmp_path: Path, *systems: SystemConfig, seeds: int = 3) -> SweepSpec:
    return SweepSpec(
        name="t", run_dir=str(tmp_path / "run"), tasks=[MC], systems=list(systems), seeds=seeds
    )


def text(plan: object) -> str:
    c = Console(width=400, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    print_plan(plan, c)  # type: ignore[arg-type]
    return c.export_text()


def test_bounds_and_cost_by_hand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    # 5 questions × 2 difficulty levels = 10 instances; × 3 seeds = 30 samples per system
    plan = build_plan(
        spec(tmp_path, mc_system("known", "gpt-4o-mini"), mc_system("secret", "my-own-model-xyz"))
    )
    known, secret = plan.systems
    assert known.samples == secret.samples == 30
    assert known.output_tokens == 100  # one call, max_tokens 100
    assert known.total(known.output_tokens) == 3000
    assert known.input_tokens is not None and known.input_tokens > 0
    # gpt-4o-mini: $0.15 / $0.60 per Mtok (bundled table)
    want = round(30 * known.input_tokens) * 0.15 / 1e6 + 3000 * 0.60 / 1e6  # whole tokens
    assert known.cost_usd == pytest.approx(want, rel=1e-6)
    assert secret.price is None and secret.cost_usd is None and plan.cost_usd is None
    out = text(plan)
    row = next(ln for ln in out.splitlines() if ln.startswith("│ secret"))
    assert "unknown" in row and "$0" not in row
    assert "API key: OPENAI_API_KEY is not set" in out


def _put(store: RunStore, system: SystemConfig, i: int, inp: int, out: int, wall: float) -> None:
    key = SampleKey(task="arith", instance_id=f"q{i}", system=system.name,
                    system_hash=system.config_hash(), seed=0)  # fmt: skip
    now = time.time()
    store.put(
        SampleResult(
            key=key,
            status=SampleStatus.DONE,
            usage=Usage(input_tokens=inp, output_tokens=out),
            started_at=now + i,
            finished_at=now + i + wall,
            wall_s=wall,
        )
    )


def test_measured_tokens_cost_and_wall_by_hand(tmp_path: Path) -> None:
    sys_ = mc_system("known", "gpt-4o-mini")
    sp = spec(tmp_path, sys_)
    old = tmp_path / "old"
    with RunStore.create(old, sp) as store:
        store.register_system(sys_)
        for i, (inp, out, wall) in enumerate(
            [(1000, 100, 10), (2000, 200, 20), (3000, 300, 30), (4000, 400, 40)]
        ):
            _put(store, sys_, i, inp, out, wall)
    plan = build_plan(sp, from_run=old, workers=5)
    (s,) = plan.systems
    assert (s.input_tokens, s.output_tokens) == (2500, 250)  # means of the four samples
    assert s.total(s.input_tokens) == 75000 and s.total(s.output_tokens) == 7500
    assert s.cost_usd == pytest.approx(75000 * 0.15e-6 + 7500 * 0.60e-6)  # $0.01575
    # the first-started sample (10 s: start-up) is left out: mean 30 s, 30 samples, 5 at a time
    assert plan.wall_s == pytest.approx(30 * 30 / 5)
    assert s.basis.startswith("measured: run")
    assert "0:03:00" in text(plan)


def test_agent_bound_by_hand(tmp_path: Path) -> None:
    sys_ = SystemConfig(
        name="agent", model=ModelConfig(provider="openai", name="gpt-4o", max_tokens=100),
        scaffold="bash-react", limits=LimitsConfig(max_steps=3),
    )  # fmt: skip
    task = {"kind": "swebench", "dataset": str(TINY), "filter": "calc-1"}
    sp = SweepSpec(name="a", run_dir=str(tmp_path / "a"), tasks=[task], systems=[sys_], seeds=2)
    (s,) = build_plan(sp, check_images=False).systems
    assert s.samples == 2 and s.output_tokens == 300  # 3 steps × 100 tokens
    # 3 calls: the prompt each time, plus 0 + 1 + 2 earlier (reply, observation) pairs
    assert s.input_tokens is not None and s.input_tokens > 3 * 100


def test_plan_cli_on_a_paper_spec_and_unset_model(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    r = run_cli("plan", "agentbench/sweeps/paper/gpqa_diamond.yaml", "--set", "model=claude-sonnet-4-5",
                cwd=root, env={"COLUMNS": "250", "ANTHROPIC_API_KEY": ""})  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "5,940" in r.stdout and "17.41k" in r.stdout  # 198 × 30; 16384 budget + 1024 answer
    assert "ANTHROPIC_API_KEY is not set" in r.stdout
    r = run_cli("plan", "agentbench/sweeps/paper/mmlu.yaml", cwd=root)
    assert r.returncode == 2 and "--set model=" in r.stderr and "Traceback" not in r.stderr


def test_plan_on_an_80_column_terminal_is_one_field_a_line(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    r = run_cli("plan", "agentbench/sweeps/paper/gpqa_diamond.yaml", "--set", "model=claude-sonnet-4-5",
                cwd=root, env={"COLUMNS": "80", "ANTHROPIC_API_KEY": ""})  # fmt: skip
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    fields = [ln for ln in lines if ln.startswith(("system ", "samples ", "cost ", "tokens from "))]
    assert len(fields) == 4 * 3  # three budget systems, each in its own block
    assert all(len(ln) <= 80 for ln in fields)
    assert sum(ln.split()[-1] == "5,940" for ln in lines if ln.startswith("samples ")) == 3
