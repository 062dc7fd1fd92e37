"""Fixtures for the viewer tests: one demo run (real store + trajectories) per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agentbench.view.runs import ViewRun, open_runs
from agentbench.view.site import Site
from tests.view.runmaker import DemoRun, make_demo_run


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The demo run, built once (tests must not modify it)."""
    return make_demo_run(tmp_path_factory.mktemp("viewrun"))


@pytest.fixture
def runs(demo: DemoRun) -> Iterator[list[ViewRun]]:
    """The demo run opened for viewing."""
    opened = open_runs([demo.run_dir])
    yield opened
    for r in opened:
        r.close()


@pytest.fixture
def site(runs: list[ViewRun]) -> Site:
    """A Site over the demo run."""
    return Site(runs)


def copy_run(demo: DemoRun, dest: Path) -> Path:
    """A private copy of the demo run a test may damage."""
    import shutil

    shutil.copytree(demo.run_dir, dest)
    return dest
