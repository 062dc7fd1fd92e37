"""Fill a run store with synthetic SWE-bench-like samples, fast (for report/viewer benchmarks).

Each instance has per-test pass probabilities (some near 0 or 1: bias; some in between:
variance); each system shifts them; each seed draws one binary outcome vector.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agentbench.config import LimitsConfig, ModelConfig, SystemConfig
from agentbench.records import (
    ExitStatus,
    SampleKey,
    SampleResult,
    SampleStatus,
    TestOutcome,
    Usage,
)
from agentbench.store.runstore import RunStore


def synthetic_systems(n: int) -> list[SystemConfig]:
    """`n` distinct scripted systems (different temperatures)."""
    return [
        SystemConfig(
            name=f"sys{i}",
            model=ModelConfig(provider="scripted", name="synthetic", temperature=0.1 + 0.1 * i),
            scaffold="bash-react",
            limits=LimitsConfig(max_steps=50),
        )
        for i in range(n)
    ]


def fill_synthetic_store(
    run_dir: str | Path,
    *,
    n_systems: int = 2,
    n_instances: int = 500,
    n_seeds: int = 100,
    n_tests: int = 6,
    missing_rate: float = 0.01,
    seed: int = 0,
    chunk: int = 10_000,
) -> int:
    """Write n_systems × n_instances × n_seeds samples; returns how many were written."""
    rng = np.random.default_rng(seed)
    systems = synthetic_systems(n_systems)
    tests = [f"tests/test_mod.py::test_{j}" for j in range(n_tests)]
    f2p, p2p = tests[:2], tests[2:]
    # per instance and test: logit of passing; per system: an offset (better systems pass more)
    base = rng.normal(0.0, 2.5, size=(n_instances, n_tests))
    shift = np.linspace(-0.5, 0.5, n_systems)
    n = 0
    with RunStore.create(run_dir, {"name": "synthetic"}) as store:
        store.register_task("synthetic", {"kind": "synthetic"})
        buf: list[SampleResult] = []
        for si, sys_ in enumerate(systems):
            h = sys_.config_hash()
            store.register_system(sys_)
            p = 1.0 / (1.0 + np.exp(-(base + shift[si])))
            draws = rng.random((n_instances, n_seeds, n_tests)) < p[:, None, :]
            actions = rng.poisson(12, size=(n_instances, n_seeds)) + 1
            miss = rng.random((n_instances, n_seeds)) < missing_rate
            for i in range(n_instances):
                for s in range(n_seeds):
                    key = SampleKey(
                        task="synthetic", instance_id=f"inst-{i:05d}", system=sys_.name,
                        system_hash=h, seed=s,
                    )  # fmt: skip
                    if miss[i, s]:
                        buf.append(
                            SampleResult(
                                key=key,
                                status=SampleStatus.MISSING,
                                attempts=3,
                                error="sandbox: synthetic failure",
                            )
                        )
                    else:
                        passed = draws[i, s].tolist()
                        ok = all(passed)
                        a = int(actions[i, s])
                        buf.append(
                            SampleResult(
                                key=key,
                                status=SampleStatus.DONE,
                                outcome=TestOutcome(
                                    tests=tests,
                                    passed=passed,
                                    fail_to_pass=f2p,
                                    pass_to_pass=p2p,
                                    resolved=ok,
                                ),
                                resolved=ok,
                                exit_status=ExitStatus.SUBMITTED
                                if a < 30
                                else ExitStatus.STEP_LIMIT,
                                n_actions=a,
                                length=float(a),
                                usage=Usage(input_tokens=900 * a, output_tokens=80 * a),
                                cost_usd=None if s % 17 == 0 else 0.0004 * a,
                                wall_s=2.0 * a,
                            )
                        )
                    if len(buf) >= chunk:
                        store.put_many(buf)
                        n += len(buf)
                        buf.clear()
        if buf:
            store.put_many(buf)
            n += len(buf)
    return n
