"""The metrics core imports numpy only: nothing else of agentbench, no pandas at import."""

from __future__ import annotations

import subprocess
import sys


def test_metrics_imports_nothing_else_of_the_package() -> None:
    code = (
        "import sys, agentbench.metrics\n"
        "mods = [m for m in sys.modules if m.startswith('agentbench')]\n"
        "bad = [m for m in mods if m != 'agentbench' and not m.startswith('agentbench.metrics')]\n"
        "heavy = [m for m in ('pandas', 'pydantic', 'structlog', 'typer') if m in sys.modules]\n"
        "print(bad, heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[] []"
