"""make_task builds tasks by kind; wrong kinds and keys are one-line ConfigErrors."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentbench.errors import ConfigError
from agentbench.tasks.registry import make_task
from agentbench.tasks.swebench.task import SWEBenchTask


def test_swebench_kind(tiny_suite: Path) -> None:
    task = make_task({"kind": "swebench", "dataset": str(tiny_suite), "filter": "-2$"})
    assert isinstance(task, SWEBenchTask)
    assert task.name == "agentbench-tiny" and task.instance_ids() == ["calc-2"]
    named = make_task({"kind": "swebench", "dataset": str(tiny_suite), "name": "t", "slice": ":1"})
    assert named.name == "t" and named.instance_ids() == ["calc-1"]


def test_bad_specs(tiny_suite: Path) -> None:
    with pytest.raises(ConfigError, match="unknown task kind"):
        make_task({"kind": "nope"})
    with pytest.raises(ConfigError, match=r"tasks\.datset"):
        make_task({"kind": "swebench", "datset": str(tiny_suite)})
    with pytest.raises(ConfigError, match=r"tasks\.regrade"):
        make_task({"kind": "swebench", "dataset": str(tiny_suite), "regrade": 0})
    with pytest.raises(ConfigError, match="not in task"):
        make_task({"kind": "swebench", "dataset": str(tiny_suite)}).instance("calc-9")
