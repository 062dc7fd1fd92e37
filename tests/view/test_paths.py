"""Page paths: reversible segment escaping, routing of every page kind, relative links."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentbench.view import paths


@given(st.text(max_size=200))
def test_encode_round_trips_and_is_safe(name: str) -> None:
    seg = paths.encode(name)
    assert paths.decode(seg) == name
    # a long name becomes several segments, each short enough for a file name
    parts = seg.split("/")
    for i, part in enumerate(parts):
        body = part[:-1] if i < len(parts) - 1 else part
        assert i == len(parts) - 1 or part.endswith("~")
        assert all(c.isascii() and (c.isalnum() or c in "-_") for c in body)
        assert body not in ("", ".", "..") and len(part) <= paths.MAX_SEGMENT + 1


@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30))
def test_instance_page_routes_back_to_its_arguments(task: str, inst: str) -> None:
    route = paths.parse(paths.instance(3, "abc123", task, inst))
    assert route == paths.Route(page="instance", run=3, system="abc123", task=task, instance=inst)


def test_every_page_kind_parses() -> None:
    cases = {
        paths.index(): paths.Route(page="index"),
        paths.run(1): paths.Route(page="run", run=1),
        paths.plot(1): paths.Route(page="plot", run=1),
        paths.system(0, "ff00"): paths.Route(page="system", run=0, system="ff00"),
        paths.group(0, "ff00", 4): paths.Route(page="group", run=0, system="ff00", group=4),
        paths.divergence(0, "ff", "t", "i/x"): paths.Route(
            page="divergence", run=0, system="ff", task="t", instance="i/x"
        ),
        paths.compare(0, "aa", 1, "bb", "t", "i"): paths.Route(
            page="compare", run=0, system="aa", other="bb", other_run=1, task="t", instance="i"
        ),
        paths.trajectory(2, "0123abcd"): paths.Route(page="trajectory", run=2, key="0123abcd"),
    }
    for path, route in cases.items():
        assert paths.parse(path) == route, path
    assert paths.parse("/") == paths.Route(page="index")
    assert paths.parse("r0/") == paths.Route(page="run", run=0)


@pytest.mark.parametrize(
    "bad", ["r0/t/../../etc/passwd.html", "r0/s/zz/index.html", "r0/s/ab/i/t/_zz.html", "x.html"]
)
def test_unknown_or_malformed_paths_have_no_route(bad: str) -> None:
    assert paths.parse(bad) is None


def test_relative_links_resolve_from_the_page_that_holds_them() -> None:
    here = paths.instance(0, "ab", "swe", "x")
    assert paths.rel(here, paths.index()) == "../../../../../index.html"
    assert paths.rel(here, paths.trajectory(0, "k1")) == "../../../../t/k1.html"
    assert paths.rel(paths.index(), paths.run(0)) == "r0/index.html"
