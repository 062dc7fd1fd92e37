"""`agentbench compare` mistakes: one line naming the run folder or option, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentbench.store.runstore import RunStore
from tests.analysis.stores import graded, system
from tests.cli_run import cli_error


def _run(path: Path) -> Path:
    """A small run of two systems on three instances, two seeds each."""
    with RunStore.create(path) as store:
        for s in (system("a", 0.2), system("b", 0.8)):
            store.register_system(s)
            for i in range(3):
                for seed in range(2):
                    store.put(graded(s, f"i{i}", seed, [seed == 0, True], 2 + i))
    return path


@pytest.mark.parametrize(
    ("extra", "expect"),
    [
        (["./run/"], "the same run folder is given twice (pass each run folder once)"),
        # the report's wording (analysis.cells.check_boot)
        (["--boot", "0"], "--boot: 0 bootstrap draws is too few"),
        (["--confidence", "1"], "--confidence: confidence=1.0 must lie strictly between 0 and 1"),
    ],
)
def test_compare_mistakes_are_one_line(tmp_path: Path, extra: list[str], expect: str) -> None:
    _run(tmp_path / "run")
    assert expect in cli_error("compare", "run", *extra, cwd=tmp_path)
