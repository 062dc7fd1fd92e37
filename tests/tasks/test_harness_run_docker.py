"""swebench's own run_instance writes a real harness run folder; agentbench imports it unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentbench.importers.swebench_harness import import_swebench_harness
from agentbench.store.runstore import RunStore
from agentbench.tasks.swebench import grading
from agentbench.tasks.swebench.task import SWEBenchTask

pytestmark = pytest.mark.docker

WRONG = (
    "diff --git a/calc/__init__.py b/calc/__init__.py\n"
    "--- a/calc/__init__.py\n+++ b/calc/__init__.py\n"
    "@@ -10,7 +10,7 @@ def sub(a, b):\n \n \n def mul(a, b):\n"
    "-    return a + b  # BUG\n+    return a + b  # still wrong\n \n \n def div(a, b):\n"
)


def test_real_harness_run_imports_with_its_own_grading(
    docker_client: Any, base_image: str, tiny_suite: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    from swebench.harness.run_evaluation import run_instance

    task = SWEBenchTask.from_spec({"kind": "swebench", "dataset": str(tiny_suite)})
    inst = task.instance("calc-1")
    spec = grading.make_test_spec(inst, task.image(inst), task.dataset.suite)
    monkeypatch.chdir(tmp_path)  # the harness writes logs/run_evaluation/ under the cwd
    for run_id, patch in (("seed_a", inst.patch), ("seed_b", WRONG)):
        pred = {
            "instance_id": inst.instance_id,
            "model_name_or_path": "acme/m1",
            "model_patch": patch,
        }
        run_instance(spec, pred, docker_client, run_id, timeout=120)
    d = tmp_path / "logs" / "run_evaluation" / "seed_a" / "acme__m1" / inst.instance_id
    assert {"test_output.txt", "report.json", "eval.sh", "patch.diff", "run_instance.log"} <= {
        p.name for p in d.iterdir()
    }
    assert ">>>>> Applied Patch" not in (d / "test_output.txt").read_text()
    assert ">>>>> Applied Patch" in (d / "run_instance.log").read_text()
    row = {**inst.model_dump(), "log_parser": spec.log_parser}
    ds = tmp_path / "rows.jsonl"
    ds.write_text(json.dumps(row) + "\n")
    runs = [tmp_path / "logs" / "run_evaluation" / r for r in ("seed_a", "seed_b")]
    (s,) = import_swebench_harness(tmp_path / "store", runs, dataset=ds)
    assert (s.n_done, s.seeds, s.notes) == (2, [0, 1], [])  # the log agrees with report.json
    with RunStore.open(tmp_path / "store") as store:
        res = {r.key.seed: r for r in store.iter_results()}
    for seed, run in enumerate(runs):
        rep = json.loads((run / "acme__m1" / inst.instance_id / "report.json").read_text())
        assert res[seed].resolved is rep[inst.instance_id]["resolved"]
    assert res[0].resolved and not res[1].resolved
    assert res[1].outcome.passed[: len(inst.FAIL_TO_PASS)] == [False] * len(inst.FAIL_TO_PASS)
