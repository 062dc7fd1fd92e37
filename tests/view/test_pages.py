"""The pages over a real run store: numbers, escaping, folding, divergence, plot links."""

from __future__ import annotations

import posixpath
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from agentbench.view import paths
from agentbench.view.site import Site
from tests.view.runmaker import INST, ODD, TASK, DemoRun


class _Collect(HTMLParser):
    """Links, element ids and the text of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        if a.get("id"):
            self.ids.add(str(a["id"]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: bytes) -> _Collect:
    """Parse a page."""
    p = _Collect()
    p.feed(html.decode("utf-8"))
    return p


def ok(site: Site, path: str) -> str:
    """Render a page that must succeed."""
    page = site.render(path)
    assert page.status == 200, page.body.decode()[-500:]
    return page.body.decode("utf-8")


def stat(html: str, label: str) -> str:
    """The value of a stat box by its label."""
    m = re.search(r"<b>([^<]*)</b><span>" + re.escape(label), html)
    assert m, label
    return m.group(1)


def test_instance_page_shows_the_decomposition_of_its_seeds(site: Site, demo: DemoRun) -> None:
    html = ok(site, paths.instance(0, demo.alpha, TASK, INST))
    # seeds 0..3 graded: [0,1,1] [0,1,1] [1,1,1] [0,1,0]; ȳ = (1/4, 1, 3/4)
    assert stat(html, "bias²") == f"{(0.75**2 + 0.25**2) / 3:.3f}"
    assert stat(html, "variance") == f"{(2 * 0.25 * 0.75) / 3:.3f}"
    assert stat(html, "error") == f"{4 / 12:.3f}"
    assert stat(html, "incoherence") == "0.375"
    assert stat(html, "resolved rate") == "0.25"
    assert stat(html, "missing (infra)") == "1"
    doc = parse(html.encode())
    rows = re.findall(r'<tr class="seed" data-seed="(\d+)">(.*?)</tr>', html, re.S)
    assert [int(s) for s, _ in rows] == [0, 1, 2, 3, 4]
    cells = {int(s): re.findall(r'class="cell (pass|fail|none)"', body) for s, body in rows}
    assert cells[3] == ["fail", "pass", "fail"]
    assert cells[2] == ["pass", "pass", "pass"]
    assert cells[4] == ["none", "none", "none"]  # missing: not graded, and says why
    assert "sandbox_start: engine said &lt;no&gt;" in html
    # FAIL_TO_PASS and PASS_TO_PASS columns are marked
    heads = [
        a.get("class", "") for t, a in doc.tags if t == "th" and "vert" in (a.get("class") or "")
    ]
    assert heads == ["vert f2p", "vert p2p", "vert p2p"]
    # cost: known cost shown, unknown cost never shown as 0
    seed1 = dict(rows)["1"]
    assert "unknown" in seed1 and "$0.0000" not in seed1
    assert "4,060 in / 206 out" in dict(rows)["0"]
    assert "$0.0040" in dict(rows)["0"]
    links = doc.links
    assert (
        paths.rel(
            paths.instance(0, demo.alpha, TASK, INST), paths.trajectory(0, demo.keys[("alpha", 2)])
        )
        in links
    )
    assert any("c/" in x for x in links)  # compare with beta


def test_untrusted_names_are_escaped_everywhere(site: Site, demo: DemoRun) -> None:
    html = ok(site, paths.instance(0, demo.alpha, TASK, ODD))
    assert "<b>odd</b>" not in html
    assert "&lt;b&gt;odd&lt;/b&gt; &amp; &#39;quoted&#39;/id" in html
    system_page = ok(site, paths.system(0, demo.alpha))
    assert "<b>odd</b>" not in system_page
    assert (
        paths.rel(paths.system(0, demo.alpha), paths.instance(0, demo.alpha, TASK, ODD))
        in parse(system_page.encode()).links
    )


def test_trajectory_page_folds_reasoning_and_long_output(site: Site, demo: DemoRun) -> None:
    html = ok(site, paths.trajectory(0, demo.keys[("alpha", 0)]))
    assert re.search(
        r'<details class="reasoning"><summary>reasoning</summary>\s*<pre[^>]*>thinking about step 0',
        html,
    )
    # the 120-line listing is folded: a preview, then the whole text behind <details>
    assert "show all 120 lines" in html
    assert html.count("line 119 of a long listing") == 1
    assert "output of cat pkg/mod.py &lt;not-a-tag&gt;" in html
    assert "<not-a-tag>" not in html
    for step in range(4):
        assert f'id="step-{step}"' in html
    assert "1030 in / 53 out" in html  # step 3 usage
    assert "$0.0010" in html
    # final patch highlighted line by line
    assert '<span class="del">-    return x</span>' in html
    assert '<span class="add">+    return x + 0</span>' in html
    assert '<span class="hunk">@@ -1,2 +1,2 @@</span>' in html
    assert stat(html, "exit status") == "submitted"


def test_divergence_marks_the_first_differing_step_and_groups_patches(
    site: Site, demo: DemoRun
) -> None:
    html = ok(site, paths.divergence(0, demo.alpha, TASK, INST))
    assert re.search(r'id="first-diff">step 2<', html)
    assert re.search(r'<th class="n firstdiff"[^>]*>2</th>', html)
    groups = re.findall(r"<h3>(\d+) seeds? · (\d+) resolved · ([^<]*)</h3>", html)
    # seeds 0,1 share the wrong patch; seed 2 alone has the right one; seed 3 none (ties by seed)
    assert groups == [("2", "0", "pkg/mod.py"), ("1", "1", "pkg/mod.py"), ("1", "0", "no patch")]
    assert stat(html, "distinct final patches") == "3"
    assert stat(html, "in the largest patch group") == "50%"
    assert "no trajectory file" in html  # seed 4 is missing: nothing to align


def test_identical_seeds_do_not_diverge(site: Site, demo: DemoRun) -> None:
    html = ok(site, paths.divergence(0, demo.beta, TASK, ODD))
    assert re.search(r'id="first-diff">none<', html)


def test_plot_points_link_to_the_instances_behind_them(site: Site, demo: DemoRun) -> None:
    here = paths.plot(0)
    doc = parse(ok(site, here).encode())
    assert "plot" in doc.ids
    group_links = [a["href"] for t, a in doc.tags if t == "a" and a.get("class") == "grp"]
    inst_links = [a["href"] for t, a in doc.tags if t == "a" and a.get("class") == "inst"]
    # alpha errs on both instances (2 groups of 1); beta never errs on INST: no point
    assert paths.rel(here, paths.instance(0, demo.alpha, TASK, INST)) in inst_links
    assert paths.rel(here, paths.instance(0, demo.beta, TASK, INST)) not in inst_links
    assert paths.rel(here, paths.group(0, demo.alpha, 0)) in group_links
    group_page = ok(site, paths.group(0, demo.alpha, 1))
    assert INST in group_page or "odd" in group_page


def test_compare_shows_both_systems_side_by_side(site: Site, demo: DemoRun) -> None:
    html = ok(site, paths.compare(0, demo.alpha, 0, demo.beta, TASK, INST))
    assert html.count('id="instance-stats"') == 2
    assert re.findall(r"<h2><a [^>]*>(\w+)</a></h2>", html) == ["alpha", "beta"]
    # alpha resolves 1 of 4 finished seeds, beta all of them
    assert re.findall(r"<b>([^<]*)</b><span>resolved rate", html) == ["0.25", "1.00"]


def test_compare_across_two_runs(demo: DemoRun, tmp_path: Path) -> None:
    from agentbench.view.runs import open_runs
    from tests.view.conftest import copy_run

    other = copy_run(demo, tmp_path / "second")
    runs = open_runs([demo.run_dir, other])
    try:
        site = Site(runs)
        here = paths.instance(0, demo.alpha, TASK, INST)
        target = paths.compare(0, demo.alpha, 1, demo.alpha, TASK, INST)
        html = ok(site, here)
        assert f'href="{paths.rel(here, target)}"' in html
        assert "compare with alpha (second)" in html
        page = ok(site, target)
        assert page.count('id="instance-stats"') == 2
        assert target in set(site.pages())
    finally:
        for r in runs:
            r.close()


@pytest.mark.parametrize("path", ["r9/index.html", "r0/t/00ff.html", "r0/s/0123/index.html", "zz"])
def test_missing_things_are_404_pages_without_tracebacks(site: Site, path: str) -> None:
    page = site.render(path)
    assert page.status == 404
    assert b"Traceback" not in page.body and b'id="error"' in page.body


def test_every_page_links_only_to_pages_that_exist(site: Site) -> None:
    seen = set(site.pages())
    assert len(seen) > 20
    for path in seen:
        page = site.render(path)
        assert page.status == 200, path
        for link in parse(page.body).links:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), link))
            assert target in seen, (path, link)


def test_pages_follow_a_store_that_is_still_being_written(demo: DemoRun, tmp_path: Path) -> None:
    from agentbench.store.runstore import RunStore
    from agentbench.view.runs import open_runs
    from tests.view.conftest import copy_run
    from tests.view.runmaker import graded_sample

    run = copy_run(demo, tmp_path / "live")
    runs = open_runs([run])
    try:
        site = Site(runs)
        here = paths.plot(0)
        new = paths.rel(here, paths.instance(0, demo.alpha, TASK, "late-1"))
        assert new not in ok(site, here)
        ok(site, paths.run(0))
        # unchanged store: the curve comes from the cache
        assert site.curves.curve(runs[0], demo.alpha) is site.curves.curve(runs[0], demo.alpha)
        with RunStore.open(run) as store:
            for seed in range(3):
                store.put(graded_sample(store, "alpha", "late-1", seed, [seed == 0, True, True]))
        assert new in ok(site, here)
        assert "late-1" in ok(site, paths.system(0, demo.alpha))
    finally:
        for r in runs:
            r.close()


def test_multiple_choice_instances_show_their_kl_decomposition(tmp_path: Path) -> None:
    import math

    from agentbench.config import ModelConfig, SystemConfig
    from agentbench.records import ChoiceOutcome, SampleKey, SampleResult, SampleStatus
    from agentbench.store.runstore import RunStore
    from agentbench.view.runs import open_runs

    sys_ = SystemConfig(
        name="mc", model=ModelConfig(provider="scripted", name="m"), scaffold="none"
    )
    probs = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]]
    with RunStore.create(tmp_path / "mc") as store:
        h = store.register_system(sys_)
        for seed, p in enumerate(probs):
            key = SampleKey(task="gpqa", instance_id="q1", system="mc", system_hash=h, seed=seed)
            store.put(
                SampleResult(
                    key=key, status=SampleStatus.DONE,
                    outcome=ChoiceOutcome(probs=p, target=0), resolved=p[0] == 1.0,
                )
            )  # fmt: skip
    runs = open_runs([tmp_path / "mc"])
    try:
        html = ok(Site(runs), paths.instance(0, h, "gpqa", "q1"))
    finally:
        for r in runs:
            r.close()
    # normalised geometric mean of smoothed one-hots: 2 of 3 seeds on A
    delta, c = 1e-12, 4
    logs = [[math.log((x + delta) / (1 + c * delta)) for x in p] for p in probs]
    mean_log = [sum(col) / 3 for col in zip(*logs, strict=True)]
    lse = math.log(sum(math.exp(m) for m in mean_log))
    assert stat(html, "bias²") == f"{lse - mean_log[0]:.3f}"
    assert stat(html, "variance") == f"{-lse:.3f}"
    assert stat(html, "accuracy") == "0.67"
    assert "KL decomposition" in html


def test_an_instance_without_error_has_no_incoherence(site: Site, demo: DemoRun) -> None:
    html = ok(site, paths.instance(0, demo.beta, TASK, INST))
    assert stat(html, "incoherence") == "n/a"  # the report's formatter: undefined reads n/a
    assert "incoherence is undefined" in html
