"""Each importer's run in the viewer, clicked through in a real headless Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentbench.importers.inspect_eval import import_inspect
from agentbench.importers.minisweagent import import_minisweagent
from agentbench.importers.swebench_harness import import_swebench_harness
from agentbench.importers.table import import_table
from agentbench.view.runs import open_runs
from agentbench.view.server import ViewServer
from agentbench.view.site import Site
from tests.importers.test_minisweagent_patches import MINI
from tests.importers.test_swebench_harness_import import FIX, RUNS
from tests.importers.test_table_import import _csv
from tests.view.test_browser import browser, not_blank

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the module's headless Chromium fixture

ZSTD = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "inspect" / "zstd"


def _runs(root: Path) -> dict[str, bool]:
    """One run folder per importer; value: whether its samples have a trajectory page."""
    import_inspect(root / "inspect", ZSTD / "mc_choices.eval", system="mock")
    import_swebench_harness(root / "harness", [RUNS / "run_a", RUNS / "run_b"],
                            dataset=FIX / "dataset.jsonl")  # fmt: skip
    for seed in (0, 1):
        import_minisweagent(root / "mini", MINI / f"seed{seed}", MINI / f"reports{seed}",
                            seed=seed, dataset=MINI / "dataset.jsonl")  # fmt: skip
    import_table(root / "table", _csv(root), options=4)
    return {"inspect": False, "harness": True, "mini": True, "table": False}


def test_every_import_opens_in_the_viewer(browser: Any, tmp_path: Path) -> None:
    kinds = _runs(tmp_path)
    opened = open_runs([tmp_path / k for k in kinds])
    server = ViewServer(Site(opened), port=0).start()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    shots = []
    try:
        for label, has_trajectory in kinds.items():
            page.goto(server.url)
            page.click(f"#runs a:text('{label}')")
            page.wait_for_selector("#systems")
            page.locator("#systems a").first.click()
            page.wait_for_selector("#instances")
            page.locator("#instances a").first.click()
            page.wait_for_selector("#instance-stats")
            assert page.locator("tr.seed").count() >= 2, label  # seeds side by side
            shots.append(tmp_path / f"{label}-instance.png")
            page.screenshot(path=shots[-1], full_page=True)
            if has_trajectory:
                page.locator("tr.seed a.traj").first.click()
                page.wait_for_selector("#patch")  # the imported patch, as a diff
                shots.append(tmp_path / f"{label}-trajectory.png")
                page.screenshot(path=shots[-1], full_page=True)
    finally:
        page.close()
        server.stop()
        for r in opened:
            r.close()
    assert errors == []
    for png in shots:
        not_blank(png)
