"""Unified diff lines classified for highlighting (added, removed, hunk, file header)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DiffLine:
    """One line of a patch and its class (a CSS class name)."""

    text: str
    kind: str  # "add", "del", "hunk", "file", "meta" or "ctx"


def classify(patch: str) -> list[DiffLine]:
    """Split a unified diff into classified lines; unknown text is context."""
    out: list[DiffLine] = []
    for line in patch.splitlines():
        if line.startswith(("+++ ", "--- ")):
            kind = "file"
        elif line.startswith("diff ") or line.startswith("index "):
            kind = "meta"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "ctx"
        out.append(DiffLine(text=line, kind=kind))
    return out


def files_changed(patch: str) -> list[str]:
    """The files a patch touches (from its +++ headers)."""
    names: list[str] = []
    for line in patch.splitlines():
        if line.startswith("+++ "):
            name = line[4:].split("\t", 1)[0]
            name = name[2:] if name.startswith("b/") else name
            if name != "/dev/null" and name not in names:
                names.append(name)
    return names
