"""Page paths of the viewer: one scheme for the server and the static export.

Every page is a file-like path ending in `.html` and every link is relative, so the
exported folder opens from disk (file://) exactly as the server shows it. Names taken
from the data (task, instance id) are escaped reversibly into safe path segments.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

_SAFE = re.compile(r"[A-Za-z0-9-]")
# file systems refuse a name over 255 bytes; a long encoded name is split into folders of
# this many characters, every one but the last ending in "~" (a character encode never
# writes, so the split is unambiguous and reversible)
MAX_SEGMENT = 200
_CONT = "~/"


def encode(name: str) -> str:
    """A reversible, filesystem- and URL-safe path (one or more short segments) for any string."""
    out: list[str] = []
    for ch in name:
        if _SAFE.fullmatch(ch):
            out.append(ch)
        else:
            out.extend(f"_{b:02x}" for b in ch.encode("utf-8"))
    flat = "".join(out) or "_"
    return _CONT.join(flat[i : i + MAX_SEGMENT] for i in range(0, len(flat), MAX_SEGMENT))


def decode(segment: str) -> str:
    """Invert `encode`; a malformed segment raises ValueError."""
    segment = segment.replace(_CONT, "")
    if segment == "_":
        return ""
    buf = bytearray()
    i = 0
    while i < len(segment):
        ch = segment[i]
        if ch == "_":
            hx = segment[i + 1 : i + 3]
            if len(hx) != 2 or not re.fullmatch(r"[0-9a-f]{2}", hx):
                raise ValueError(f"bad escape in path segment {segment!r}")
            buf.append(int(hx, 16))
            i += 3
        elif _SAFE.fullmatch(ch):
            buf.extend(ch.encode())
            i += 1
        else:
            raise ValueError(f"bad character in path segment {segment!r}")
    return buf.decode("utf-8")


def rel(here: str, target: str) -> str:
    """The relative link from page `here` to page `target` (both root-relative)."""
    return posixpath.relpath(target, posixpath.dirname(here) or ".")


# ------------------------------------------------------------------ page paths


def index() -> str:
    """The list of runs."""
    return "index.html"


def run(r: int) -> str:
    """One run: its systems."""
    return f"r{r}/index.html"


def plot(r: int) -> str:
    """Incoherence vs action count for every system of a run."""
    return f"r{r}/plot.html"


def system(r: int, h: str) -> str:
    """One system of a run: its instances."""
    return f"r{r}/s/{h}/index.html"


def group(r: int, h: str, g: int) -> str:
    """The instances behind one point (length group) of the plot."""
    return f"r{r}/s/{h}/g{g}.html"


def instance(r: int, h: str, task: str, inst: str) -> str:
    """One instance of one system: a row per seed."""
    return f"r{r}/s/{h}/i/{encode(task)}/{encode(inst)}.html"


def divergence(r: int, h: str, task: str, inst: str) -> str:
    """The seeds of one instance aligned step by step, patches grouped."""
    return f"r{r}/s/{h}/d/{encode(task)}/{encode(inst)}.html"


def compare(ra: int, a: str, rb: int, b: str, task: str, inst: str) -> str:
    """Two systems (of one run or of two runs) side by side on one instance."""
    return f"c/r{ra}-{a}/r{rb}-{b}/{encode(task)}/{encode(inst)}.html"


def trajectory(r: int, key: str) -> str:
    """One sample's trajectory."""
    return f"r{r}/t/{key}.html"


# ------------------------------------------------------------------ routing


@dataclass(frozen=True)
class Route:
    """A parsed page path: which page, and its arguments."""

    page: str
    run: int | None = None
    system: str | None = None
    other: str | None = None
    other_run: int | None = None
    task: str | None = None
    instance: str | None = None
    key: str | None = None
    group: int | None = None


_HEX = r"[0-9a-f]{1,64}"
_SEG = r"(?:[A-Za-z0-9_-]+~/)*[A-Za-z0-9_-]+"  # an encoded name, maybe split (see encode)
_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"index\.html"), "index"),
    (re.compile(r"r(?P<run>\d+)/index\.html"), "run"),
    (re.compile(r"r(?P<run>\d+)/plot\.html"), "plot"),
    (re.compile(rf"r(?P<run>\d+)/s/(?P<system>{_HEX})/index\.html"), "system"),
    (re.compile(rf"r(?P<run>\d+)/s/(?P<system>{_HEX})/g(?P<group>\d+)\.html"), "group"),
    (
        re.compile(
            rf"r(?P<run>\d+)/s/(?P<system>{_HEX})/i/(?P<task>{_SEG})/(?P<instance>{_SEG})\.html"
        ),
        "instance",
    ),
    (
        re.compile(
            rf"r(?P<run>\d+)/s/(?P<system>{_HEX})/d/(?P<task>{_SEG})/(?P<instance>{_SEG})\.html"
        ),
        "divergence",
    ),
    (
        re.compile(
            rf"c/r(?P<run>\d+)-(?P<system>{_HEX})/r(?P<orun>\d+)-(?P<other>{_HEX})/"
            rf"(?P<task>{_SEG})/(?P<instance>{_SEG})\.html"
        ),
        "compare",
    ),
    (re.compile(r"r(?P<run>\d+)/t/(?P<key>[0-9a-f]{1,64})\.html"), "trajectory"),
]


def parse(path: str) -> Route | None:
    """The route of a root-relative page path, or None when no page lives there."""
    p = path.lstrip("/")
    if p == "" or p.endswith("/"):
        p += "index.html"
    for pattern, page in _ROUTES:
        m = pattern.fullmatch(p)
        if m is None:
            continue
        d = m.groupdict()
        try:
            task = decode(d["task"]) if d.get("task") else None
            inst = decode(d["instance"]) if d.get("instance") else None
        except (ValueError, UnicodeDecodeError):
            return None
        return Route(
            page=page,
            run=int(d["run"]) if d.get("run") else None,
            system=d.get("system"),
            other=d.get("other"),
            other_run=int(d["orun"]) if d.get("orun") else None,
            task=task,
            instance=inst,
            key=d.get("key"),
            group=int(d["group"]) if d.get("group") else None,
        )
    return None


def normalise(path: str) -> str:
    """The canonical page path for a request path (directory -> its index.html)."""
    p = path.lstrip("/")
    return p + "index.html" if p == "" or p.endswith("/") else p
