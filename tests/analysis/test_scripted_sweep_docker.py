"""A tiny real sweep: scripted model over HTTP, bash-react scaffold, Docker sandboxes and
grading on the agentbench-tiny suite; the seeds' tool calls fix or break known tests, so the
report's numbers are known exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scripted_plans import bash_reply as bash
from scripted_plans import replies_by_seed

from agentbench.analysis.build import build_report
from agentbench.servers.scripted import ScriptedServer
from agentbench.sweep.runner import run_sweep
from agentbench.sweep.spec import validate_spec

pytestmark = pytest.mark.docker

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "suites" / "agentbench-tiny"
FIX_MUL = "sed -i 's/return a + b  # BUG/return a * b/' calc/__init__.py"
BREAK_SUB = "sed -i 's/return a - b/return b - a/' calc/__init__.py"
# seed -> actions before submitting; per-test vectors (mul, add, sub):
# 0 fix: 1 1 1 | 1 nothing (unchanged): 0 1 1 | 2 fix + break sub: 1 1 0 | 3 fix: 1 1 1
PLANS = {
    0: [bash(1, FIX_MUL)],
    1: [],
    2: [bash(1, FIX_MUL), bash(2, BREAK_SUB)],
    3: [bash(1, FIX_MUL)],
}


def test_report_of_a_scripted_sweep(docker_client: Any, base_image: str, tmp_path: Path) -> None:
    """ȳ = (3/4, 1, 3/4): error 1/6, bias² 1/24, variance 1/8, incoherence 3/4, resolved 1/2."""

    with ScriptedServer(replies_by_seed(PLANS)) as srv:
        doc = {
            "name": "tiny",
            "run_dir": str(tmp_path / "run"),
            "tasks": [{"kind": "swebench", "dataset": str(TINY), "filter": "calc-1"}],
            "systems": [
                {
                    "name": "scripted",
                    "model": {"provider": "scripted", "name": "s", "base_url": srv.base_url},
                    "scaffold": "bash-react",
                }
            ],
            "seeds": 4,
            "concurrency": {"samples": 2},
        }
        summary = run_sweep(validate_spec(doc, "spec.yaml"))
    assert (summary.done, summary.missing) == (4, 0)
    rep = build_report(tmp_path / "run", n_boot=50, detail_boot=20)
    (s,) = rep.systems
    c = s.overall
    assert (c.n_questions, c.n_unrolls) == (1, 4)
    assert c.error.estimate == pytest.approx(1 / 6)
    assert c.bias2.estimate == pytest.approx(1 / 24)
    assert c.variance.estimate == pytest.approx(1 / 8)
    assert c.incoherence.estimate == pytest.approx(3 / 4)
    assert c.accuracy.estimate == pytest.approx(1 / 2)
    assert any("fewer than 30" in w for w in rep.warnings)
    # the seed that did nothing is the shortest; the fix-and-break seed the longest
    assert s.short_half is not None and s.long_half is not None
    assert s.short_half.mean_length < s.long_half.mean_length
