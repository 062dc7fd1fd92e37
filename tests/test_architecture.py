"""Allowed imports between the rooms of agentbench, checked on every module's AST (lazy imports
inside functions included). The table below and the Rooms table of docs/architecture.md (the
layout as built; ../shared/docs/ARCHITECTURE.md is the map it departs from, with reasons) say the
same; test_the_doc_states_the_same_table checks it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "agentbench"
DOC = PKG.parent / "docs" / "architecture.md"

# Leaf modules (one file each, below every room); with records and config they are the doc's
# "base", which every room above them may import.
LEAVES = {
    "errors",
    "logging",
    "safeio",
    "safeyaml",
    "rows",
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
    "rows": {"errors", "safeio"},
    "records": set(),  # pydantic only
    "trajectory": {"errors", "records", "safeio"},
    # a scaffold is config, read by config's hash and by agent, tasks and planning; it holds
    # the limits' defaults
    "scaffold": {"config", "errors", "records", "safeyaml"},
    "config": {"models", "records", "scaffold"},  # a system names its model by a provider
    "metrics": set(),  # numpy/scipy only
    # servers: the provider registry names the scripted and embedded servers a provider starts
    "models": BASE | {"servers"},
    "servers": BASE,
    "sandbox": BASE,
    "agent": BASE | {"models", "sandbox"},
    # servers: mc's scripted responder drives the scripted server (a test and demo fixture
    # that lives beside the task it answers)
    "tasks": BASE | {"agent", "sandbox", "models", "metrics", "servers"},
    "sweep": BASE | {"tasks", "store"},
    "store": BASE,
    "analysis": BASE | {"metrics", "store"},
    "view": BASE | {"analysis", "metrics", "store"},  # metrics: plots use it
    # planning sits beside sweep (cost and time of a spec before it runs)
    "planning": BASE | {"agent", "models", "sandbox", "store", "sweep", "tasks"},
    "importers": BASE | {"store", "tasks"},  # importers write other tools' logs into the store
    "commands": None,  # type: ignore[dict-item]  # cli.py and commands/: everything
}

# Imports the table forbids that the code still has, each with its reason; each must go (the
# test fails when one is fixed and its line is left here).
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


# The doc's "may import" words that name no room of the package.
NOT_OURS = {"–", "pydantic", "numpy/scipy only"}


def doc_table(text: str) -> dict[str, set[str] | None]:
    """ARCHITECTURE.md's Rooms table as {room: rooms it may import} (None: everything)."""
    out: dict[str, set[str] | None] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        may: set[str] | None = set()
        for word in re.sub(r"\([^)]*\)", "", cells[2]).split(","):
            word = word.strip()
            if word == "everything":
                may = None
            elif word == "base":
                may = (may or set()) | BASE
            elif word not in NOT_OURS:
                assert word in ALLOWED, f"{cells[2]!r}: {word!r} is no room"
                may = (may or set()) | {word}
        for path in re.findall(r"`([^`]+)`", cells[0]):
            name = path.removeprefix("agentbench/").rstrip("/").removesuffix(".py")
            if "/" not in name:  # a folder below a room holds package data, not code
                out["commands" if name == "cli" else name] = may
    return out


def test_the_doc_states_the_same_table() -> None:
    table = doc_table(DOC.read_text(encoding="utf-8"))
    assert set(ALLOWED) - set(table) == set(), "rooms the doc's table lacks"
    assert {r: table[r] for r in ALLOWED} == ALLOWED
    assert all(table[r] == set() for r in set(table) - set(ALLOWED))  # folders: imports nothing
