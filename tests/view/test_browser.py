"""Click through the viewer in a real headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentbench.view.export import export_site
from agentbench.view.server import ViewServer
from agentbench.view.site import Site
from tests.view.runmaker import INST, DemoRun

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module (no browser download: the system's binary)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("no /usr/bin/chromium in CI: scripts/setup.sh should install it")
        pytest.skip("no /usr/bin/chromium (run scripts/setup.sh)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


def not_blank(png: Path) -> None:
    """A screenshot with real content: many colours and a spread of brightness."""
    from PIL import Image, ImageStat

    with Image.open(png) as im:
        grey = im.convert("L")
        assert ImageStat.Stat(grey).stddev[0] > 10, f"{png} looks blank"
        assert len(im.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 20, png


def test_click_from_run_to_trajectory_and_divergence(
    browser: Any, site: Site, demo: DemoRun, tmp_path: Path
) -> None:
    server = ViewServer(site, port=0).start()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(server.url)
        page.click("#runs a:text('demo')")
        page.wait_for_selector("#systems")
        page.click("#systems a:text('alpha')")
        page.wait_for_selector("#instances")
        page.screenshot(path=tmp_path / "system.png", full_page=True)
        page.click(f"#instances a:text('{INST}')")
        page.wait_for_selector("#instance-stats")
        assert page.locator("tr.seed").count() == 5
        assert page.locator("td.cell.fail").count() == 4
        page.screenshot(path=tmp_path / "instance.png", full_page=True)
        page.click("tr.seed[data-seed='2'] a.traj")
        page.wait_for_selector("#patch")
        assert "seed 2" in page.title()
        # reasoning is folded until clicked
        reasoning = page.locator("details.reasoning").first
        assert not reasoning.evaluate("d => d.open")
        reasoning.locator("summary").click()
        assert reasoning.evaluate("d => d.open")
        assert page.locator("#patch .add").first.evaluate(
            "e => getComputedStyle(e).backgroundColor"
        ) != page.locator("#patch .del").first.evaluate("e => getComputedStyle(e).backgroundColor")
        page.screenshot(path=tmp_path / "trajectory.png", full_page=True)
        page.go_back()
        page.click("#divergence-link")
        page.wait_for_selector("#align")
        assert page.inner_text("#first-diff") == "step 2"
        page.screenshot(path=tmp_path / "divergence.png", full_page=True)
        page.goto(server.url + "r0/plot.html")
        page.wait_for_selector("#plot")
        page.screenshot(path=tmp_path / "plot.png", full_page=True)
        page.locator("a.grp").last.click()  # the last drawn is on top
        page.wait_for_selector("#members")
    finally:
        page.close()
        server.stop()
    assert errors == []
    for name in ("system", "instance", "trajectory", "divergence", "plot"):
        not_blank(tmp_path / f"{name}.png")


def test_export_opens_from_disk_without_a_server(
    browser: Any, site: Site, demo: DemoRun, tmp_path: Path
) -> None:
    out = export_site(site, tmp_path / "static").out_dir
    page = browser.new_page()
    try:
        page.goto((out / "index.html").as_uri())
        page.click("#runs a:text('demo')")
        page.click("#systems a:text('beta')")
        page.click(f"#instances a:text('{INST}')")
        page.click("tr.seed[data-seed='0'] a.traj")
        page.wait_for_selector("#patch")
        assert page.url.startswith("file://")
        page.screenshot(path=tmp_path / "static.png", full_page=True)
    finally:
        page.close()
    not_blank(tmp_path / "static.png")
