"""Fixtures for the synthetic optimizer: skip the area when torch is absent, mark it `torch`."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this folder `torch` (pyproject's marker) so CI can select them."""
    for item in items:
        if _HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.torch)


@pytest.fixture(autouse=True)
def _one_thread():
    """One thread: on a loaded 2-core machine two threads thrash (measured ~10x slower)."""
    torch.set_num_threads(1)
    yield
