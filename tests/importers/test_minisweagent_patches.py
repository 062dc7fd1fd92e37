"""Imported mini-swe-agent runs keep each unroll's patch (trajectory submission / preds.json)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from agentbench.importers.minisweagent import import_minisweagent
from agentbench.store.runstore import RunStore
from agentbench.trajectory import read_trajectory
from agentbench.view import paths
from agentbench.view.runs import open_runs
from agentbench.view.site import Site

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "minisweagent"
AST, DJ = "astropy__astropy-12907", "django__django-11099"


def _import(run: Path, seed0: Path = MINI / "seed0", seed1: Path = MINI / "seed1") -> list:
    s0 = import_minisweagent(run, seed0, MINI / "reports0", seed=0, dataset=MINI / "dataset.jsonl")
    s1 = import_minisweagent(run, seed1, MINI / "reports1", seed=1, dataset=MINI / "dataset.jsonl")
    return [s0, s1]


def _patches(run: Path) -> dict[tuple[str, int], str | None]:
    with RunStore.open(run) as store:
        out = {}
        for r in store.iter_results():
            f = store.trajectory_file(r)
            out[r.key.instance_id, r.key.seed] = None if f is None else read_trajectory(f).end.patch
        return out


def _preds(seed: str) -> dict:
    return json.loads((MINI / seed / "preds.json").read_text())


def test_each_unroll_keeps_its_patch_and_the_viewer_shows_it(tmp_path: Path) -> None:
    run = tmp_path / "run"
    s0, _ = _import(run)
    got = _patches(run)
    assert got[AST, 0] == _preds("seed0")[AST]["model_patch"] != got[AST, 1]
    assert got[AST, 1] == _preds("seed1")[AST]["model_patch"]
    assert got[DJ, 0] == "" and got[DJ, 1].startswith(
        "diff --git a/django/contrib/auth/validators.py"
    )
    assert got["sympy__sympy-20590", 0] is None  # a crash: its error text is no patch
    opened = open_runs([run])
    try:
        site = Site(opened)
        with RunStore.open(run) as store:
            key = next(
                r.key for r in store.iter_results() if r.key.instance_id == AST and r.key.seed == 1
            )
        page = site.render(paths.trajectory(0, key.key))
        assert page.status == 200
        html = page.body.decode()
        assert '<span class="add">+garbage2</span>' in html
        page = site.render(paths.divergence(0, s0.system_hash, "swebench", DJ))
        assert page.status == 200
        groups = re.findall(r"<h3>(\d+) seeds? · (\d+) resolved · ([^<]*)</h3>", page.body.decode())
        assert groups == [
            ("1", "0", "no patch"),
            ("1", "1", "django/contrib/auth/validators.py"),
        ]  # ties by seed
    finally:
        for r in opened:
            r.close()


def test_preds_json_stands_in_for_a_missing_submission(tmp_path: Path) -> None:
    seed1 = tmp_path / "seed1"
    shutil.copytree(MINI / "seed1", seed1)
    f = seed1 / AST / f"{AST}.traj.json"
    traj = json.loads(f.read_text())
    del traj["info"]["submission"]
    f.write_text(json.dumps(traj))
    preds = json.loads((seed1 / "preds.json").read_text())
    preds[DJ]["model_patch"] = "diff --git a/other.py b/other.py\n"
    (seed1 / "preds.json").write_text(json.dumps(preds))
    _, s1 = _import(tmp_path / "run", seed1=seed1)
    assert _patches(tmp_path / "run")[AST, 1] == preds[AST]["model_patch"]
    assert f"{DJ}: preds.json's model_patch differs from the trajectory's submission" in s1.notes[0]


def test_bad_preds_json_is_one_line(tmp_path: Path) -> None:
    seed1 = tmp_path / "seed1"
    shutil.copytree(MINI / "seed1", seed1)
    (seed1 / "preds.json").write_text(json.dumps({AST: {"model_patch": 3}}))
    from agentbench.errors import DataError

    try:
        import_minisweagent(tmp_path / "run", seed1, MINI / "reports1", seed=1)
    except DataError as exc:
        assert str(exc).startswith(f"{seed1 / 'preds.json'} [{AST}]: model_patch: expected")
    else:
        raise AssertionError("no error")
    assert not (tmp_path / "run").exists()
