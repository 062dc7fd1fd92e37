"""The HTML report of a real sweep (scripted model over HTTP, Docker sandboxes, real grading)
in headless Chromium: the seeds table and a non-empty incoherence-vs-action-count plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scripted_plans import replies_by_seed

from agentbench.analysis.build import build_report
from agentbench.analysis.write import write_report
from agentbench.servers.scripted import ScriptedServer
from agentbench.sweep.runner import run_sweep
from agentbench.sweep.spec import validate_spec
from tests.analysis.test_scripted_sweep_docker import PLANS, TINY
from tests.view.test_browser import browser, not_blank  # noqa: F401 - the fixture is used by name

pytestmark = [pytest.mark.docker, pytest.mark.browser]


@pytest.fixture(scope="module")
def report_html(docker_client: Any, base_image: str, tmp_path_factory: Any) -> Path:
    """The HTML report of a 2-system × 4-seed scripted sweep (set up before Chromium: the
    sweep runs its own event loop, which Playwright's sync API would otherwise hold)."""
    run = tmp_path_factory.mktemp("report") / "run"
    with ScriptedServer(replies_by_seed(PLANS)) as srv:
        doc = {
            "name": "tiny",
            "run_dir": str(run),
            "tasks": [{"kind": "swebench", "dataset": str(TINY), "filter": "calc-1"}],
            "systems": [
                {
                    "name": name,
                    "model": {"provider": "scripted", "name": "s", "base_url": srv.base_url},
                    "scaffold": scaffold,
                }
                for name, scaffold in (("react", "bash-react"), ("edit", "edit-tool"))
            ],
            "seeds": 4,
            "concurrency": {"samples": 2},
        }
        summary = run_sweep(validate_spec(doc, "spec.yaml"))
    assert (summary.done, summary.missing) == (8, 0)
    return write_report(build_report(run, n_boot=50, detail_boot=20))


def test_html_report_shows_seeds_and_incoherence_by_length(
    report_html: Path,
    browser: Any,  # noqa: F811 - the imported fixture
    tmp_path: Path,
) -> None:
    """Seeds fix, do nothing, fix and break: 3 distinct vectors, and the length plot has points."""
    html = report_html
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(html.resolve().as_uri())
        # the report leads with the seeds' outcomes, before the per-system table
        assert page.locator("h2").first.inner_text() == "Seeds side by side"
        rows = page.locator("#seeds tr.inst")
        assert rows.count() == 2
        first = rows.nth(0)
        vectors = [first.locator("td.vec code").nth(i).inner_text() for i in range(4)]
        assert vectors == ["111", "011", "110", "111"]
        plot = page.locator("img#incoherence-by-length")
        assert int(plot.get_attribute("data-points") or 0) >= 1
        assert plot.evaluate("i => i.complete && i.naturalWidth > 0")
        plot.screenshot(path=tmp_path / "length.png")
        not_blank(tmp_path / "length.png")
        assert page.locator("#paired tr").count() == 2  # header + edit − react
    finally:
        page.close()
    assert errors == []
