"""`agentbench demo` with the real embedded SmolLM2 (no key), cut to one instance × 3 seeds, and
its HTML report in headless Chromium: seeds side by side for both systems and a non-empty
incoherence-vs-action-count plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentbench.store.runstore import RunStore
from tests.cli_run import run_cli
from tests.view.test_browser import browser, not_blank  # noqa: F401 - the fixture is used by name

pytestmark = [pytest.mark.docker, pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: Any) -> tuple[Path, str]:
    """A finished demo run folder and the demo's terminal output (run before Chromium starts)."""
    run = tmp_path_factory.mktemp("demo") / "run"
    env = {"OPENAI_API_KEY": "", "ANTHROPIC_API_KEY": "", "AGENTBENCH_LOCAL_URL": "",
           "COLUMNS": "80"}  # fmt: skip
    r = run_cli(
        "demo", "--set", "seeds=3", "--set", "tasks.0.instance_ids=[tinyops-3]",
        "--run-dir", str(run), "--no-progress", cwd=run.parent, env=env, timeout=900,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    return run, r.stdout


def test_demo_report_in_a_browser(
    demo_run: tuple[Path, str],
    browser: Any,  # noqa: F811 - the imported fixture
    tmp_path: Path,
) -> None:
    run, out = demo_run
    with RunStore.open(run) as store:
        assert store.count(status="done") == 6  # 2 systems × 3 seeds, every unroll graded
    # the terminal's tables fit an 80-column terminal (prose lines wrap there by themselves)
    table = [ln for ln in out.splitlines() if ln.startswith("  ") or "─" in ln]
    assert len(table) >= 10 and max(len(ln) for ln in table) <= 80
    assert "incoherence" in out and str(run / "report" / "report.html") in " ".join(out.split())
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto((run / "report" / "report.html").resolve().as_uri())
        assert page.locator("h2").first.inner_text() == "Seeds side by side"
        rows = page.locator("#seeds tr.inst")
        assert rows.count() == 2  # tinyops-3 under each system
        for i in range(2):
            vectors = rows.nth(i).locator("td.vec code")
            assert vectors.count() == 3
            assert all(set(vectors.nth(j).inner_text()) <= {"0", "1"} for j in range(3))
        plot = page.locator("img#incoherence-by-length")
        assert int(plot.get_attribute("data-points") or 0) >= 1
        assert plot.evaluate("i => i.complete && i.naturalWidth > 0")
        plot.screenshot(path=tmp_path / "length.png")
        not_blank(tmp_path / "length.png")
        assert page.locator("#paired tr").count() == 2  # header + one system − the other
    finally:
        page.close()
    assert errors == []
