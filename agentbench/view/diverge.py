"""The seeds of one instance side by side: where their actions part, and which patches agree.

Seeds are aligned by step index. At each step the distinct actions are numbered by how
many seeds took them (0 = the most common), so a column of one colour means the seeds
agree there. Final patches are grouped when identical: one large group of the same wrong
patch is bias; many singletons are variance.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from agentbench.records import ActionEvent, SampleResult
from agentbench.trajectory import Trajectory
from agentbench.view.diff import DiffLine, classify, files_changed
from agentbench.view.steps import action_text

END = "\x00end"  # the "action" of a seed that has already stopped


@dataclass(frozen=True)
class Cell:
    """One seed's action at one step: a short label, the full text, its class at that step."""

    label: str
    full: str
    cls: int  # 0 = most common action at this step; -1 = the seed had stopped


@dataclass(eq=False)
class SeedLine:
    """One seed's actions in order (or why its trajectory could not be read)."""

    result: SampleResult
    signatures: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    patch: str | None = None
    error: str | None = None  # unreadable trajectory


@dataclass(frozen=True)
class PatchGroup:
    """Seeds whose final patches are identical."""

    patch: str
    seeds: list[SampleResult]
    n_resolved: int
    lines: list[DiffLine]
    files: list[str]


@dataclass(frozen=True)
class Divergence:
    """The aligned seeds, the first step at which they differ, and the patch groups."""

    seeds: list[SeedLine]
    n_steps: int
    shown_steps: int
    first_diff: int | None  # None: every readable seed took the same actions
    n_agree: list[int]  # per step, seeds taking the most common action
    patch_groups: list[PatchGroup]
    n_without_trajectory: int

    @property
    def largest_share(self) -> float:
        """Share of seeds with a patch that are in the largest group."""
        n = sum(len(g.seeds) for g in self.patch_groups)
        return len(self.patch_groups[0].seeds) / n if n else 0.0

    @property
    def n_singletons(self) -> int:
        """Patch groups of one seed."""
        return sum(len(g.seeds) == 1 for g in self.patch_groups)


def _signature(e: ActionEvent) -> str:
    return json.dumps([e.tool, e.arguments], sort_keys=True, ensure_ascii=False)


def _label(text: str, n: int = 28) -> str:
    first = text.strip().split("\n", 1)[0]
    return first if len(first) <= n else first[: n - 1] + "…"


def seed_line(result: SampleResult, traj: Trajectory | None, error: str | None) -> SeedLine:
    """One seed's action sequence from its trajectory (or the error that hid it)."""
    line = SeedLine(result=result, error=error)
    if traj is None:
        return line
    for e in traj.events:
        if isinstance(e, ActionEvent):
            line.signatures.append(_signature(e))
            line.texts.append(f"{e.tool}: {action_text(e.tool, e.arguments)}")
    end = traj.end
    line.patch = None if end is None else end.patch
    return line


def diverge(lines: list[SeedLine], max_steps: int = 80) -> Divergence:
    """Align seeds by step, find the first disagreement, group identical patches."""
    readable = [s for s in lines if s.error is None and (s.signatures or s.patch is not None)]
    n_steps = max((len(s.signatures) for s in readable), default=0)
    first_diff: int | None = None
    n_agree: list[int] = []
    ranks: list[dict[str, int]] = []
    for k in range(n_steps):
        at_k = [s.signatures[k] if k < len(s.signatures) else END for s in readable]
        counts = Counter(at_k)
        order = sorted(counts, key=lambda sig: (-counts[sig], sig))
        ranks.append({sig: i for i, sig in enumerate(order)})
        n_agree.append(counts[order[0]])
        if first_diff is None and len(counts) > 1:
            first_diff = k
    shown = min(n_steps, max_steps)
    ok = {id(s) for s in readable}
    for s in lines:
        for k in range(shown):
            if id(s) not in ok:
                break
            if k < len(s.signatures):
                s.cells.append(Cell(label=_label(s.texts[k].split(": ", 1)[-1]), full=s.texts[k],
                                    cls=ranks[k][s.signatures[k]]))  # fmt: skip
            else:
                s.cells.append(Cell(label="", full="(stopped)", cls=-1))
    return Divergence(
        seeds=lines, n_steps=n_steps, shown_steps=shown, first_diff=first_diff, n_agree=n_agree,
        patch_groups=_patch_groups(readable),
        n_without_trajectory=sum(id(s) not in ok for s in lines),
    )  # fmt: skip


def _patch_groups(seeds: list[SeedLine]) -> list[PatchGroup]:
    """Identical final patches together (trailing whitespace ignored), largest first."""
    groups: dict[str, list[SampleResult]] = {}
    for s in seeds:
        if s.patch is None:
            continue
        key = "\n".join(ln.rstrip() for ln in s.patch.strip().splitlines())
        groups.setdefault(key, []).append(s.result)
    out = [
        PatchGroup(
            patch=p, seeds=rs, n_resolved=sum(bool(r.resolved) for r in rs), lines=classify(p),
            files=files_changed(p),
        )
        for p, rs in groups.items()
    ]  # fmt: skip
    out.sort(key=lambda g: (-len(g.seeds), g.seeds[0].key.seed))
    return out
