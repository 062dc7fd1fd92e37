"""The viewer's pages: a page path in, HTML out. The server and the static export share it.

Every page queries the run store for just what it shows. Bad data (corrupt trajectory,
unreadable store) becomes an error page with an escaped one-line message; a bug becomes a
plain 500 page while the traceback goes to the log, never to the browser.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jinja2

from agentbench.analysis.fmt import num
from agentbench.errors import UserError
from agentbench.logging import get_logger
from agentbench.records import SampleResult
from agentbench.trajectory import read_trajectory
from agentbench.view import paths
from agentbench.view.diff import classify, files_changed
from agentbench.view.diverge import diverge, seed_line
from agentbench.view.lengthplot import CurveCache
from agentbench.view.outcomes import instance_table
from agentbench.view.runs import ViewRun
from agentbench.view.steps import build_view
from agentbench.view.svg import PALETTE, build_plot

log = get_logger(__name__)

HTML = "text/html; charset=utf-8"


class NotFound(Exception):
    """The page's subject is not in the store (404)."""


@dataclass(frozen=True)
class Page:
    """A rendered page."""

    status: int
    body: bytes
    content_type: str = HTML


def _cost(x: float | None) -> str:
    """A cost in dollars; None means the price was unknown (never shown as 0)."""
    return "unknown" if x is None else f"${x:.4f}"


def _tokens(r: SampleResult) -> str:
    u = r.usage
    return f"{u.input_tokens:,} in / {u.output_tokens:,} out"


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("agentbench.view", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=num, cost=_cost, tokens=_tokens)
    env.globals.update(paths=paths, palette=PALETTE)
    return env


class Site:
    """All pages over a set of opened runs."""

    def __init__(self, runs: list[ViewRun], *, groups: int = 5) -> None:
        self.runs = runs
        self.curves = CurveCache(k=groups)
        self._env = _env()

    # ------------------------------------------------------------ entry points

    def render(self, path: str) -> Page:
        """The page at `path` (root-relative); never raises for bad data or bad paths."""
        here = paths.normalise(path)
        route = paths.parse(here)
        if route is None:
            return self._error(here, 404, "No such page", f"nothing lives at /{here}")
        try:
            html = self._dispatch(route, here)
        except NotFound as exc:
            return self._error(here, 404, "Not found", str(exc))
        except UserError as exc:
            return self._error(here, 422, "Cannot show this page", str(exc))
        except Exception:
            log.exception("view_page_failed", path=here)
            return self._error(
                here, 500, "Internal error", "the viewer failed on this page; see its log"
            )
        return Page(200, html.encode("utf-8"))

    def pages(self) -> Iterator[str]:
        """Every page path the static export writes (exactly the pages the others link to)."""
        yield paths.index()
        for run in self.runs:
            r = run.index
            yield paths.run(r)
            yield paths.plot(r)
            systems = run.system_list()
            for s in systems:
                yield paths.system(r, s.hash)
                for g in self.curves.curve(run, s.hash).groups:
                    yield paths.group(r, s.hash, g.group)
                for inst in run.store.instances(system=s.hash):
                    yield paths.instance(r, s.hash, inst.task, inst.instance_id)
                    yield paths.divergence(r, s.hash, inst.task, inst.instance_id)
            for key in run.store.trajectory_keys():
                yield paths.trajectory(r, key)
        # compare pages: every pair of systems (across runs too) on the instances they share
        held = [
            (run, s, run.store.instance_pairs(s.hash))
            for run in self.runs
            for s in run.system_list()
        ]
        for i, (ra, a, ia) in enumerate(held):
            for rb, b, ib in held[i + 1 :]:
                for task, inst in sorted(ia & ib):
                    yield paths.compare(ra.index, a.hash, rb.index, b.hash, task, inst)

    # ------------------------------------------------------------ helpers

    def _others(self, run: ViewRun, h: str, task: str, inst: str) -> list[tuple[str, str]]:
        """(label, compare page) for every other system, in any run, with samples of `inst`."""
        order = [(r, s.hash) for r in self.runs for s in r.system_list()]
        me = order.index((run, h))
        out = []
        for n, (r, oh) in enumerate(order):
            if n == me or not r.store.has_samples(oh, task, inst):
                continue
            first, second = sorted([(run, h), (r, oh)], key=order.index)
            other = r.system(oh)
            label = other.name if other else oh
            label = label if r is run else f"{label} ({r.label})"
            target = paths.compare(first[0].index, first[1], second[0].index, second[1], task, inst)
            out.append((label, target))
        return out

    def _run(self, r: int | None) -> ViewRun:
        if r is None or not 0 <= r < len(self.runs):
            raise NotFound(f"run {r} is not open in this viewer")
        return self.runs[r]

    def _tpl(self, name: str, here: str, **ctx: Any) -> str:
        def href(target: str) -> str:
            return paths.rel(here, target)

        crumbs = ctx.pop("crumbs", [])
        return self._env.get_template(name).render(here=here, href=href, crumbs=crumbs, **ctx)

    def _error(self, here: str, status: int, title: str, message: str) -> Page:
        try:
            html = self._tpl("error.html.j2", here, title=title, message=message, status=status)
        except Exception:  # the error page itself must not fail
            log.exception("view_error_page_failed", path=here)
            html = "<!doctype html><title>error</title><p>error</p>"
        return Page(status, html.encode("utf-8"))

    def _crumbs(self, run: ViewRun | None = None, h: str | None = None,
                inst: tuple[str, str] | None = None) -> list[tuple[str, str]]:  # fmt: skip
        out = [("runs", paths.index())]
        if run is not None:
            out.append((run.label, paths.run(run.index)))
            if h is not None:
                s = run.system(h)
                out.append((s.name if s else h, paths.system(run.index, h)))
                if inst is not None:
                    out.append((inst[1], paths.instance(run.index, h, *inst)))
        return out

    # ------------------------------------------------------------ pages

    def _dispatch(self, route: paths.Route, here: str) -> str:
        page = route.page
        if page == "index":
            return self._index(here)
        run = self._run(route.run)
        if page == "run":
            return self._run_page(here, run)
        if page == "plot":
            return self._plot(here, run)
        if page == "trajectory":
            assert route.key is not None
            return self._trajectory(here, run, route.key)
        assert route.system is not None
        if page == "compare":
            assert route.task is not None and route.instance is not None
            assert route.other is not None
            other_run = self._run(route.other_run)
            return self._compare(
                here, (run, route.system), (other_run, route.other), route.task, route.instance
            )
        if run.system(route.system) is None:
            raise NotFound(f"system {route.system} is not in run {run.label}")
        if page == "system":
            return self._system(here, run, route.system)
        if page == "group":
            assert route.group is not None
            return self._group(here, run, route.system, route.group)
        assert route.task is not None and route.instance is not None
        if page == "instance":
            return self._instance(here, run, route.system, route.task, route.instance)
        return self._divergence(here, run, route.system, route.task, route.instance)

    def _index(self, here: str) -> str:
        rows = [(run, run.store.stats(), run.store.systems()) for run in self.runs]
        return self._tpl("index.html.j2", here, rows=rows, crumbs=self._crumbs())

    def _run_page(self, here: str, run: ViewRun) -> str:
        return self._tpl(
            "run.html.j2", here, run=run, stats=run.store.stats(), systems=run.store.systems(),
            tasks=run.store.tasks(), crumbs=self._crumbs(run),
        )  # fmt: skip

    def _system(self, here: str, run: ViewRun, h: str) -> str:
        system = run.system(h)
        curve = self.curves.curve(run, h)
        by_inst = {(p.task, p.instance_id): p for p in curve.instances}
        return self._tpl(
            "system.html.j2", here, run=run, system=system, instances=run.store.instances(system=h),
            points=by_inst, crumbs=self._crumbs(run, h),
        )  # fmt: skip

    def _group(self, here: str, run: ViewRun, h: str, g: int) -> str:
        curve = self.curves.curve(run, h)
        group = next((x for x in curve.groups if x.group == g), None)
        if group is None:
            raise NotFound(f"length group {g} does not exist for this system")
        members = sorted((p for p in curve.instances if p.group == g), key=lambda p: p.mean_actions)
        return self._tpl(
            "group.html.j2", here, run=run, system=run.system(h), group=group, members=members,
            crumbs=self._crumbs(run, h),
        )  # fmt: skip

    def _plot(self, here: str, run: ViewRun) -> str:
        systems = run.system_list()
        curves = [(s.name, self.curves.curve(run, s.hash)) for s in systems]
        group_href = {
            (c.system_hash, g.group): paths.rel(
                here, paths.group(run.index, c.system_hash, g.group)
            )
            for _, c in curves
            for g in c.groups
        }
        inst_href = {
            (c.system_hash, p.task, p.instance_id): paths.rel(
                here, paths.instance(run.index, c.system_hash, p.task, p.instance_id)
            )
            for _, c in curves
            for p in c.instances
        }
        plot = build_plot(curves, group_href, inst_href)
        return self._tpl(
            "plot.html.j2", here, run=run, plot=plot, curves=curves, systems=systems,
            crumbs=self._crumbs(run),
        )  # fmt: skip

    def _instance(self, here: str, run: ViewRun, h: str, task: str, inst: str) -> str:
        results = run.seeds(h, task, inst)
        if not results:
            raise NotFound(f"instance {inst!r} of task {task!r} has no samples for this system")
        others = self._others(run, h, task, inst)
        return self._tpl(
            "instance.html.j2", here, run=run, system=run.system(h), task=task, inst=inst,
            table=instance_table(results), others=others, crumbs=self._crumbs(run, h),
        )  # fmt: skip

    def _compare(
        self, here: str, a: tuple[ViewRun, str], b: tuple[ViewRun, str], task: str, inst: str
    ) -> str:
        sides = []
        for run, h in (a, b):
            system = run.system(h)
            if system is None:
                raise NotFound(f"system {h} is not in run {run.label}")
            sides.append((run, system, instance_table(run.seeds(h, task, inst))))
        if not sides[0][2].rows and not sides[1][2].rows:
            raise NotFound(f"instance {inst!r} has no samples for either system")
        return self._tpl(
            "compare.html.j2", here, task=task, inst=inst, sides=sides,
            two_runs=a[0] is not b[0], crumbs=self._crumbs(),
        )  # fmt: skip

    def _trajectory(self, here: str, run: ViewRun, key: str) -> str:
        result = run.store.get(key)
        if result is None:
            raise NotFound(f"sample {key} is not in run {run.label}")
        f = run.trajectory_file(result)
        if f is None:
            raise NotFound(f"sample {key} has no trajectory file")
        view = build_view(read_trajectory(f))
        patch = view.end.patch if view.end is not None else ""
        k = result.key
        return self._tpl(
            "trajectory.html.j2", here, run=run, result=result, view=view,
            patch_lines=classify(patch), patch_files=files_changed(patch),
            table=instance_table([result]),
            crumbs=self._crumbs(run, k.system_hash, (k.task, k.instance_id)),
        )  # fmt: skip

    def _divergence(self, here: str, run: ViewRun, h: str, task: str, inst: str) -> str:
        results = run.seeds(h, task, inst)
        if not results:
            raise NotFound(f"instance {inst!r} of task {task!r} has no samples for this system")
        lines = []
        for r in results:
            traj, error = None, None
            try:
                f = run.trajectory_file(r)
                if f is None:
                    error = "no trajectory file"
                else:
                    traj = read_trajectory(f)
            except UserError as exc:
                error = str(exc)
            lines.append(seed_line(r, traj, error))
        return self._tpl(
            "divergence.html.j2", here, run=run, system=run.system(h), task=task, inst=inst,
            div=diverge(lines), crumbs=self._crumbs(run, h, (task, inst)),
        )  # fmt: skip
