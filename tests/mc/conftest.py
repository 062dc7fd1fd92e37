"""Fixtures for mc tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mc.helpers import MWE_ROWS, write_rows


@pytest.fixture
def mwe_dir(tmp_path: Path) -> Path:
    """A folder laid out like advanced-ai-risk/human_generated_evals (one JSONL per subset)."""
    d = tmp_path / "human_generated_evals"
    for cat, rows in MWE_ROWS.items():
        write_rows(d / f"{cat}.jsonl", rows)
    return d
