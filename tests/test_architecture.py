"""Allowed imports between the rooms of agentbench, checked on every module's AST (lazy imports
inside functions included). The table below is the source of truth; a comment marks each row
that differs from ../shared/docs/ARCHITECTURE.md's "may import" column, and why."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "agentbench"

# Leaf modules (one file each, below every room): errors, logging, safeio, safeyaml, textsafe,
# exitstatus, trajectory, config. The doc names records/ and lists config/errors/safeio as
# leaves under store only; the code uses them from every room.
LEAVES = {
    "errors",
    "logging",
    "safeio",
    "safeyaml",
    "textsafe",
    "exitstatus",
    "trajectory",
    "scaffold",
}
BASE = LEAVES | {"records", "config"}

ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "logging": set(),
    "textsafe": set(),
    "exitstatus": set(),
    "safeio": {"errors"},
    "safeyaml": {"errors"},
    "records": set(),  # doc: pydantic only
    "trajectory": {"errors", "records", "safeio"},
    # not in the doc (it puts scaffold configs in agent/): a scaffold is config, read by config's
    # hash and by agent, tasks and planning; it holds the limits' defaults
    "scaffold": {"config", "errors", "records"},
    # not in the doc: a system's config names its model by a registered provider
    "config": {"models", "records", "scaffold"},
    "metrics": set(),  # doc: numpy/scipy only
    # doc: records; plus the leaves, and servers: the provider registry names the scripted and
    # embedded servers a provider starts (the doc predates servers/)
    "models": BASE | {"servers"},
    "servers": BASE,  # not in the doc (split from models/ by #17 step 4): records + leaves
    "sandbox": BASE,
    "agent": BASE | {"models", "sandbox"},
    # doc: agent, sandbox, models, metrics, records; servers: mc's scripted responder drives the
    # scripted server (a test and demo fixture that lives beside the task it answers)
    "tasks": BASE | {"agent", "sandbox", "models", "metrics", "servers"},
    # doc: tasks, records; plus store (the doc's store row is newer than this one)
    "sweep": BASE | {"tasks", "store"},
    "store": BASE,
    "analysis": BASE | {"metrics", "store"},
    "view": BASE | {"analysis", "metrics", "store"},  # metrics: not in the doc; plots use it
    # not in the doc: planning sits beside sweep (cost and time of a spec before it runs)
    "planning": BASE | {"agent", "models", "sandbox", "store", "sweep", "tasks"},
    # not in the doc: importers write other tools' logs into the store
    "importers": BASE | {"store", "tasks"},
    "commands": None,  # type: ignore[dict-item]  # cli.py and commands/: everything
}

# Imports the doc is right about that the code still has; each must go (the test fails
# when one is fixed and its line is left here).
KNOWN: set[tuple[str, str]] = set()


def room(module: str) -> str | None:
    """The room of an agentbench module name, or None for anything outside the package."""
    parts = module.split(".")
    if parts[0] != "agentbench":
        return None
    if len(parts) == 1:
        return "errors"  # the package root: __init__ holds no code
    return "commands" if parts[1] in ("cli", "commands") else parts[1]


def imports_between_rooms(pkg: Path) -> set[tuple[str, str, str]]:
    """(room, imported room, module) for every import of one room from another under pkg."""
    out: set[tuple[str, str, str]] = set()
    for f in sorted(pkg.rglob("*.py")):
        mod = ".".join(f.relative_to(pkg.parent).with_suffix("").parts).removesuffix(".__init__")
        src = room(mod)
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for n in names:
                dst = room(n)
                if src and dst and dst != src:
                    out.add((src, dst, mod))
    return out


def violations(pkg: Path) -> set[tuple[str, str, str]]:
    """The imports the table does not allow."""
    bad = set()
    for src, dst, mod in imports_between_rooms(pkg):
        allowed = ALLOWED.get(src, set())
        if allowed is not None and dst not in allowed:
            bad.add((src, dst, mod))
    return bad


def test_every_room_is_in_the_table() -> None:
    rooms = {
        room(".".join(("agentbench", p.stem if p.is_file() else p.name))) for p in PKG.iterdir()
    }
    rooms = {r for r in rooms if r and r not in ("__init__", "__pycache__", "scaffolds", "sweeps")}
    assert rooms <= set(ALLOWED), rooms - set(ALLOWED)


def test_imports_between_rooms_follow_the_table() -> None:
    found = {(s, d) for s, d, _ in violations(PKG)}
    assert found - KNOWN == set(), sorted(violations(PKG))
    assert KNOWN - found == set(), "fixed: remove these lines from KNOWN"


def test_a_planted_upward_import_fails(tmp_path: Path) -> None:
    pkg = tmp_path / "agentbench"
    (pkg / "metrics").mkdir(parents=True)
    (pkg / "metrics" / "__init__.py").write_text("")
    (pkg / "metrics" / "core.py").write_text(
        "def f():\n    from agentbench.store.runstore import RunStore  # lazy, still upward\n"
    )
    (pkg / "records.py").write_text("import numpy\n")
    assert violations(pkg) == {("metrics", "store", "agentbench.metrics.core")}
