"""Rows without a suite: swebench 5.x harness fields (image, eval_script, log_parser), prebuilt images."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentbench.errors import ConfigError, EnvironmentProblem
from agentbench.tasks.swebench import grading
from agentbench.tasks.swebench.environment import prebuilt_image_name
from agentbench.tasks.swebench.task import SWEBenchTask


def test_prebuilt_name_follows_the_harness() -> None:
    assert (
        prebuilt_image_name("django__django-11099")
        == "swebench/sweb.eval.x86_64.django_1776_django-11099:latest"
    )


def test_parsers_by_repo_and_by_row(rows: list[dict[str, Any]], tmp_path: Path) -> None:
    from agentbench.tasks.swebench.dataset import load_dataset

    rows[1]["eval_script"] = "#!/bin/bash\nset -uxo pipefail\necho hi\n"
    rows[2]["eval_script"] = rows[1]["eval_script"]
    rows[2]["log_parser"] = "parse_log_pytest_v2"
    p = tmp_path / "d.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    insts = load_dataset(str(p)).instances
    assert grading.make_test_spec(insts[1], "img", None).log_parser == "parse_log_django"
    assert grading.make_test_spec(insts[2], "img", None).log_parser == "parse_log_pytest_v2"
    with pytest.raises(ConfigError, match="no eval_script"):
        grading.make_test_spec(insts[0], "img", None)
    with pytest.raises(ConfigError, match="unknown log parser"):
        grading.parser_name("nosuch")
    # no per-repo install specs in swebench 5.x: building a hub environment is refused clearly
    task = SWEBenchTask.from_spec({"kind": "swebench", "dataset": str(p)})
    with pytest.raises(ConfigError, match="image_source"):
        task.image(insts[0])


@pytest.mark.docker
def test_row_with_image_and_eval_script_grades_without_a_suite(
    docker_client: Any, base_image: str, tiny_suite: Path, tmp_path: Path
) -> None:
    suite_task = SWEBenchTask.from_spec({"kind": "swebench", "dataset": str(tiny_suite)})
    inst = suite_task.instance("calc-1")
    image = suite_task.image(inst)
    spec = grading.make_test_spec(inst, image, suite_task.dataset.suite)
    row = {
        **inst.model_dump(exclude_none=True),  # test lists as real lists: the loader takes both
        "repo": "example/calc",
        "image": image,
        "eval_script": spec.eval_script,
        "log_parser": "parse_log_pytest",
    }
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps(row) + "\n")
    task = SWEBenchTask.from_spec({"kind": "swebench", "dataset": str(path)})
    hub_inst = task.instance("calc-1")
    assert task.dataset.suite is None and task.image(hub_inst) == image
    out = grading.grade(hub_inst, hub_inst.patch, image=image, suite=None)
    assert out.resolved and all(out.passed)


@pytest.mark.docker
def test_prebuilt_image_that_cannot_be_pulled(
    docker_client: Any, rows: list[dict[str, Any]], tmp_path: Path
) -> None:
    rows[0]["instance_id"] = "agentbench__nosuch-1"
    rows[0]["image"] = "127.0.0.1:9/agentbench/no-such-image:latest"  # nothing listens on :9
    p = tmp_path / "d.jsonl"
    p.write_text(json.dumps(rows[0]) + "\n")
    task = SWEBenchTask.from_spec(
        {"kind": "swebench", "dataset": str(p), "image_source": "prebuilt"}
    )
    with pytest.raises(EnvironmentProblem, match="cannot be pulled"):
        task.image(task.instance("agentbench__nosuch-1"))
