"""A run store another process holds locked: a one-line DataError, never a hang or a traceback."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentbench.config import ModelConfig, SystemConfig
from agentbench.errors import DataError
from agentbench.store import schema as store_mod
from agentbench.store.runstore import RunStore

_SYS = SystemConfig(name="s", model=ModelConfig(provider="scripted", name="m"), scaffold="x")


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[Path]:
    """A run folder whose store another connection holds in an exclusive transaction."""
    run = tmp_path / "run"
    with RunStore.create(run):
        pass
    other = sqlite3.connect(run / "store.sqlite", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    yield run
    other.execute("ROLLBACK")
    other.close()


def test_a_write_to_a_locked_store_fails_instead_of_hanging(
    locked: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_mod, "BUSY_TIMEOUT_S", 0.2)
    store = RunStore.open(locked)
    try:
        # before the fix the writer thread died on ROLLBACK and this waited forever
        with pytest.raises(DataError, match="locked by another process"):
            store.register_system(_SYS)
        with pytest.raises(DataError, match="locked by another process"):
            store.register_system(_SYS)  # the writer thread is still alive to answer
    finally:
        store.close()


def test_cli_run_into_a_locked_store_is_one_line(locked: Path, tmp_path: Path) -> None:
    # the real entry point, with a short wait so the test stays fast
    script = (
        "import sys\n"
        "import agentbench.store.schema as s\n"
        "s.BUSY_TIMEOUT_S = 0.2\n"
        "import agentbench.cli as c\n"
        f"sys.argv = ['agentbench', 'run', {str(tmp_path / 'spec.yaml')!r}, '--run-dir', "
        f"{str(locked)!r}, '--no-progress']\n"
        "c.main()\n"
    )
    suite = Path(__file__).resolve().parents[1] / "fixtures" / "suites" / "agentbench-tiny"
    (tmp_path / "spec.yaml").write_text(
        "name: l\n"
        f"tasks: [{{kind: swebench, dataset: {suite}}}]\n"
        "systems: [{name: s, model: {provider: scripted, name: m}, scaffold: bash-react}]\n"
        "seeds: 1\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "run/store.sqlite: the run store stayed locked by another process" in " ".join(
        r.stderr.split()
    )
