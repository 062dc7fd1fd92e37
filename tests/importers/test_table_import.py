"""`agentbench import table`: long answer tables (CSV, JSONL, Parquet) become runs like any other."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from agentbench.analysis.build import build_report
from agentbench.importers.table import import_table
from agentbench.records import ChoiceOutcome
from agentbench.store.runstore import RunStore
from tests.cli_run import run_cli

# 3 systems × 2 questions × 3 seeds; targets: q1 A, q2 A (4 options)
ANSWERS = {
    "alpha": {"q1": "AAA", "q2": "BCB"},
    "beta": {"q1": "BBB", "q2": "AAA"},
    "gamma": {"q1": "CCA", "q2": "A A"},  # the blank is an unparsed answer
}


def _rows() -> list[dict[str, object]]:
    return [
        {"question": q, "system": s, "seed": i, "answer": a.strip(), "target": "A"}
        for s, qs in ANSWERS.items()
        for q, ans in qs.items()
        for i, a in enumerate(ans)
    ]


def _csv(tmp_path: Path, rows: list[dict[str, object]] | None = None, name: str = "t.csv") -> Path:
    rows = _rows() if rows is None else rows
    path = tmp_path / name
    head = list(rows[0])
    path.write_text(
        "\n".join([",".join(head)] + [",".join(str(r[k]) for k in head) for r in rows]) + "\n"
    )
    return path


def test_a_three_system_csv_gives_the_report_worked_by_hand(tmp_path: Path) -> None:
    path = _csv(tmp_path)
    run = tmp_path / "run"
    r = run_cli("import", "table", str(run), str(path), "--options", "4", cwd=tmp_path,
                env={"COLUMNS": "300"})  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("imported 6 samples of") == 3
    assert (
        "18 answers read as multiple-choice with 4 options from 3 systems; 1 unparsed" in r.stdout
    )
    assert "no length grouping" in r.stdout
    rep = build_report(run, groups=0, n_boot=20).mc
    assert rep is not None
    zo = {z.system: z for z in rep.zero_one}
    # 0/1 main answer = argmax of the mean distribution; variance = share of unrolls off it
    # alpha: q1 A (right, none off), q2 B (wrong, C is off: 1/3)
    assert (zo["alpha"].bias, zo["alpha"].variance) == pytest.approx((0.5, 1 / 6))
    # beta: q1 B (wrong, none off), q2 A (right)
    assert (zo["beta"].bias, zo["beta"].variance) == pytest.approx((0.5, 0.0))
    # gamma: q1 C (wrong, A off: 1/3); q2 A (0.75 mean; the uniform unroll's argmax is A too)
    assert (zo["gamma"].bias, zo["gamma"].variance) == pytest.approx((0.5, 1 / 6))
    # accuracy: the share of unrolls that answer right, averaged over questions
    assert rep.row("brier", "alpha")["accuracy"] == pytest.approx(0.5)
    # gamma: q1 1/3; q2 3/3, as the uniform (unparsed) unroll's argmax, A, is the target
    assert rep.row("brier", "gamma")["accuracy"] == pytest.approx((1 / 3 + 1) / 2)
    # the usual commands take the imported run as they take a sweep's
    for args in (("report", str(run)), ("mc", "report", str(run), "--groups", "0", "--boot", "20")):
        r = run_cli(*args, cwd=tmp_path, env={"COLUMNS": "200"})
        assert r.returncode == 0, r.stderr
        assert "alpha" in r.stdout and "gamma" in r.stdout


def test_jsonl_with_probability_vectors_and_a_length(tmp_path: Path) -> None:
    rows = [
        {"q": "q1", "model": "m", "epoch": e, "p": p, "gold": 1, "tokens": 10 * (e + 1)}
        for e, p in enumerate([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])
    ]
    path = tmp_path / "a.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cols = ["question=q", "system=model", "seed=epoch", "answer=p", "target=gold", "length=tokens"]
    (s,) = import_table(tmp_path / "run", path, columns=cols)
    assert (s.n_samples, s.seeds, s.task) == (3, [0, 1, 2], "a")
    with RunStore.open(tmp_path / "run") as store:
        got = sorted(store.iter_results(), key=lambda x: x.key.seed)
    assert [x.length for x in got] == [10.0, 20.0, 30.0]
    o = got[0].outcome
    assert isinstance(o, ChoiceOutcome) and o.probs == [0.2, 0.8] and o.target == 1


def test_parquet_with_indices_and_an_options_column(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({
        "question": ["x", "x", "y", "y"], "system": ["s"] * 4, "seed": [0, 1, 0, 1],
        "answer": [2, 0, 1, None], "target": [2, 2, 1, 1], "options": [3, 3, 2, 2],
    }), path)  # fmt: skip
    (s,) = import_table(tmp_path / "run", path)
    assert s.n_done == 4
    with RunStore.open(tmp_path / "run") as store:
        by = {(x.key.instance_id, x.key.seed): x for x in store.iter_results()}
    assert by[("x", 0)].outcome.probs == [0.0, 0.0, 1.0] and by[("x", 0)].resolved  # type: ignore[union-attr]
    assert by[("y", 1)].outcome.probs == [0.5, 0.5]  # type: ignore[union-attr]
    assert by[("y", 1)].outcome.parsed is False  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("case", "expect"),
    [
        ("missing_column", "no column target"),
        ("unknown_letter", "'E' is not an option (A-D or 0-3)"),
        ("duplicate", "seed 0 again (first at row 2)"),
        ("no_options", "cannot tell how many options"),
        ("truncated_parquet", "cannot read the parquet file"),
        ("wrong_format", "unknown file type '.txt'"),
        ("bad_column_flag", "is not KEY=COLUMN"),
        ("deep_jsonl", "JSON nested 200001 levels deep, over the limit of 256"),
    ],
)
def test_bad_tables_are_one_line_and_write_nothing(tmp_path: Path, case: str, expect: str) -> None:
    rows = _rows()
    args = ["--options", "4"]
    if case == "missing_column":
        path = _csv(tmp_path, [{k: v for k, v in r.items() if k != "target"} for r in rows])
    elif case == "unknown_letter":
        rows[4]["answer"] = "E"
        path = _csv(tmp_path, rows)
    elif case == "duplicate":
        path = _csv(tmp_path, rows + rows[:1])
    elif case == "no_options":
        path, args = _csv(tmp_path), []
    elif case == "truncated_parquet":
        path = tmp_path / "p.parquet"
        pq.write_table(pa.table({k: [str(r[k]) for r in rows] for k in rows[0]}), path)
        path.write_bytes(path.read_bytes()[:-40])
    elif case == "wrong_format":
        path = tmp_path / "t.txt"
        path.write_text("question,system\n")
    elif case == "deep_jsonl":  # crashed pyarrow's reader (SIGSEGV) before the depth check
        path = tmp_path / "deep.jsonl"
        deep = "[" * 200_000 + "]" * 200_000
        path.write_text(json.dumps(rows[0])[:-1] + f', "extra": {deep}}}\n')
    else:
        path, args = _csv(tmp_path), ["--options", "4", "--column", "answr=a"]
    run = tmp_path / "run"
    r = run_cli("import", "table", str(run), str(path), *args, cwd=tmp_path,
                env={"COLUMNS": "300"})  # fmt: skip
    assert r.returncode != 0
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert expect in lines[0], lines[0]
    assert not run.exists()


def test_the_viewer_shows_an_imported_answer(tmp_path: Path) -> None:
    from agentbench.view import paths
    from agentbench.view.runs import open_runs
    from agentbench.view.site import Site

    run = tmp_path / "run"
    (alpha, *_) = import_table(run, _csv(tmp_path), options=4)
    site = Site(open_runs([run]))
    h = alpha.system_hash
    pages = {
        "run": paths.run(0),
        "system": paths.system(0, h),
        "instance": paths.instance(0, h, "t", "q2"),
        "plot": paths.plot(0),
    }
    got = {name: site.render("/" + p) for name, p in pages.items()}
    assert {name: p.status for name, p in got.items()} == dict.fromkeys(pages, 200)
    inst = got["instance"].body.decode()
    # per seed, its answer over the options; the KL decomposition of the question
    assert all(f"seed {i}" in inst for i in range(3)) and "KL decomposition" in inst
    assert "0.333" in inst  # incoherence of q2 for alpha


def test_a_run_without_lengths_reports_no_length_groups(tmp_path: Path) -> None:
    # a constant length (0 actions everywhere) used to be "grouped": groups in question order
    run = tmp_path / "run"
    import_table(run, _csv(tmp_path), options=4)
    r = run_cli("report", str(run), "--out", str(tmp_path / "rep"), "--boot", "20",
                cwd=tmp_path, env={"COLUMNS": "80"})  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "incoherence vs action count: no length groups or halves" in r.stdout
    assert "-0.000" not in r.stdout and "Warning" not in r.stderr  # no stray float or mpl noise
    assert "every unroll has the same length" in r.stdout + r.stderr
