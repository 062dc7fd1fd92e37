"""Fixtures for sweep tests: specs built around the test task kinds in sweeptasks.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

SEED_KIND = "sweep.sweeptasks:SeedTask"
CHAT_KIND = "sweep.sweeptasks:ChatTask"
TESTS_DIR = Path(__file__).resolve().parent.parent


def system_doc(name: str, temperature: float = 0.5, base_url: str | None = None) -> dict[str, Any]:
    """A system dict for a spec (scripted provider, test scaffold)."""
    model: dict[str, Any] = {"provider": "scripted", "name": "scripted", "temperature": temperature}
    if base_url:
        model["base_url"] = base_url
    return {"name": name, "model": model, "scaffold": "none"}


@pytest.fixture
def seed_spec(tmp_path: Path) -> dict[str, Any]:
    """A small SeedTask sweep: 3 instances × 2 systems × 3 seeds."""
    return {
        "name": "t",
        "run_dir": str(tmp_path / "run"),
        "tasks": [{"kind": SEED_KIND, "name": "seeds", "instances": 3}],
        "systems": [system_doc("a", 0.1), system_doc("b", 0.9)],
        "seeds": 3,
        "concurrency": {"samples": 4},
        "retry": {"max_attempts": 3, "backoff_s": 0.0},
    }
