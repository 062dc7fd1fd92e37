"""Fixtures for the synthetic optimizer: skip the area when torch is absent."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _two_threads():
    """One thread: on a loaded 2-core machine two threads thrash (measured ~10x slower)."""
    torch.set_num_threads(1)
    yield
