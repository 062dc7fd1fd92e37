"""The report pipeline has no import cycle: types and the formatter at the bottom, the builder
above them, renderers reading only types (every import counts: lazy and type-only too)."""

from __future__ import annotations

import ast
from pathlib import Path

import agentbench

ROOT = Path(agentbench.__file__).parent


def _graph(rooms: tuple[str, ...]) -> dict[str, set[str]]:
    """module -> the package modules it imports, for the modules under `rooms`."""
    mods = {
        ".".join(("agentbench", *p.relative_to(ROOT).with_suffix("").parts)).removesuffix(
            ".__init__"
        ): p
        for p in ROOT.rglob("*.py")
    }
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        if not name.startswith(rooms):
            continue
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("agentbench"):
                for a in node.names:
                    full = f"{node.module}.{a.name}"
                    deps.add(full if full in mods else str(node.module))
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("agentbench")}
        graph[name] = {d for d in deps if d.startswith(rooms) and d != name}
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, or None."""
    state: dict[str, int] = {}  # 1 = on the path, 2 = done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                return [*path[path.index(d) :], d]
            if d not in state and (found := visit(d)):
                return found
        state[m] = 2
        path.pop()
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_report_and_viewer_modules_import_no_cycle() -> None:
    graph = _graph(("agentbench.analysis", "agentbench.view"))
    assert "agentbench.analysis.build" in graph and "agentbench.analysis.types" in graph
    assert cycle(graph) is None, " -> ".join(cycle(graph) or [])


def test_a_planted_cycle_is_found() -> None:
    graph = _graph(("agentbench.analysis",))
    graph["agentbench.analysis.types"] = {"agentbench.analysis.build"}  # types importing up
    found = cycle(graph)
    assert found is not None and "agentbench.analysis.types" in found
