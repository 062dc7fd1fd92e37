"""End to end with the scripted model: each question's answer distribution is set by construction,
and the report (through the real runner, executor, store and metrics core) recovers it."""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agentbench.analysis.build import build_report
from agentbench.analysis.types import MCSection, Report
from agentbench.analysis.write import write_report
from agentbench.metrics import decompose_kl
from agentbench.records import ChoiceOutcome, Usage
from agentbench.servers.scripted import Reply, ScriptedCall
from agentbench.store.runstore import RunStore
from agentbench.tasks.mc import MCTask
from agentbench.tasks.mc.questions import LETTERS
from agentbench.tasks.mc.scripted import KnownDistributionResponder
from tests.mc.sweeps import run_mc

R = 32
TARGET_P = (0.9, 0.6, 0.25)


def letter_spec(**kw: Any) -> dict[str, Any]:
    spec = {
        "kind": "mc",
        "name": "arith",
        "dataset": {"source": "procedural", "n": 12, "difficulty": [1, 3]},
        "contexts": 8,
        "shots": 2,
        "shuffle": True,
    }
    return {**spec, **kw}


def known_dist(task: MCTask) -> dict[str, list[float]]:
    """Target gets 0.9 / 0.6 / 0.25 in turn; 70% of the rest goes to one distractor."""
    out = {}
    for i, q in enumerate(task.questions):
        t = TARGET_P[i % 3]
        p = [0.3 * (1 - t) / (q.n_options - 2)] * q.n_options
        p[q.target] = t
        p[(q.target + 1) % q.n_options] = 0.7 * (1 - t)
        out[q.id] = p
    return out


def brier_truth(dist: dict[str, list[float]], targets: dict[str, int], r: int) -> dict[str, float]:
    """Expected values of the plug-in Brier estimators with r unrolls, averaged over questions."""
    b2, var = [], []
    for q, p in dist.items():
        pa = np.asarray(p)
        y = np.eye(len(p))[targets[q]]
        v = 1.0 - float(pa @ pa)
        b2.append(float((y - pa) @ (y - pa)) + v / r)  # ‖y − p̂‖² is inflated by var/r
        var.append(v * (r - 1) / r)
    return {"bias2": float(np.mean(b2)), "variance": float(np.mean(var))}


@pytest.fixture(scope="module")
def letter_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, MCTask, dict[str, Any]]:
    run_dir = tmp_path_factory.mktemp("mc") / "run"
    spec = letter_spec()
    task = MCTask.from_spec(spec)
    dist = known_dist(task)
    length = {q.id: 20 * int(q.subject.split("-")[1]) for q in task.questions}
    responder = KnownDistributionResponder(task, dist, length=length)
    summary, n_calls = run_mc(run_dir, spec, responder, seeds=R)
    assert summary.done == len(task.questions) * R and summary.missing == 0
    assert n_calls == summary.done
    return run_dir, task, {"dist": dist, "length": length}


@pytest.fixture(scope="module")
def letter_full(letter_run: tuple[Path, MCTask, dict[str, Any]]) -> Report:
    return build_report(letter_run[0], groups=2, n_boot=400, confidence=0.95)


@pytest.fixture(scope="module")
def letter_report(letter_full: Report) -> MCSection:
    assert letter_full.mc is not None
    return letter_full.mc


def mc_section(run_dir: Path, **options: Any) -> MCSection:
    """The multiple-choice section of the run's one report."""
    mc = build_report(run_dir, **options).mc
    assert mc is not None
    return mc


def test_store_rows_hold_reply_length_and_mapped_answer(
    letter_run: tuple[Path, MCTask, dict[str, Any]],
) -> None:
    run_dir, task, truth = letter_run
    with RunStore.open(run_dir) as store:
        results = list(store.iter_results(status="done"))
    # mc rows carry everything: no trajectory file per sample
    assert not [f for f in run_dir.rglob("*") if f.is_file() and "trajector" in str(f)]
    assert all(r.trajectory_path is None for r in results)
    for r in results[:50]:
        o = r.outcome
        assert isinstance(o, ChoiceOutcome) and o.parsed
        q = task.question(r.key.instance_id)
        letter = o.answer_text.rsplit("Answer: ", 1)[1].strip()
        shown = task.unroll(q.id, r.key.seed).order[LETTERS.index(letter)]
        assert o.probs.index(1.0) == shown  # the displayed letter mapped back to q's option
        assert o.target == q.target and r.resolved == (shown == q.target)
        assert r.length == r.usage.reasoning_tokens >= truth["length"][q.id]


def test_report_recovers_brier_bias_and_variance(
    letter_run: tuple[Path, MCTask, dict[str, Any]], letter_report: MCSection
) -> None:
    _, task, truth = letter_run
    exp = brier_truth(truth["dist"], {q.id: q.target for q in task.questions}, R)
    row = letter_report.row("brier", "m")
    for stat in ("bias2", "variance"):
        assert row[f"{stat}_low"] <= exp[stat] <= row[f"{stat}_high"], (stat, row, exp)
    inco = exp["variance"] / (exp["variance"] + exp["bias2"])
    assert row["incoherence_low"] <= inco <= row["incoherence_high"]
    exp_acc = np.mean([truth["dist"][q.id][q.target] for q in task.questions])
    assert row["accuracy_low"] <= exp_acc <= row["accuracy_high"]
    assert row["n_questions"] == 24 and row["min_unrolls"] == R


def test_zero_one_view(
    letter_run: tuple[Path, MCTask, dict[str, Any]], letter_report: MCSection
) -> None:
    _, _task, truth = letter_run
    zo = letter_report.zero_one[0]
    # the main prediction is wrong exactly for the 0.25-target questions (distractor at 0.525)
    assert zo.bias == pytest.approx(1 / 3)
    exp_var = np.mean([1 - max(p) for p in truth["dist"].values()])
    assert abs(zo.variance - exp_var) < 0.06  # 768 draws: sd of the mean ≈ 0.015


def test_ensembling_curve_falls_as_one_over_e(
    letter_run: tuple[Path, MCTask, dict[str, Any]], letter_report: MCSection
) -> None:
    _, _task, truth = letter_run
    pts = [p for p in letter_report.ensemble if p.loss == "brier"]
    assert [p.size for p in pts] == [1, 2, 4, 8, 16]
    v_true = np.mean([1 - float(np.dot(p, p)) for p in truth["dist"].values()])
    corrected = []
    for p in pts:
        n = p.n_ensembles
        # E[variance of n ensembles of size E] = v/E · (n−1)/n; its relative sd over Q
        # questions is about sqrt(2 / ((n−1)·Q)) (a sample variance of n draws per question)
        expected = v_true / p.size * (n - 1) / n
        assert p.variance == pytest.approx(expected, rel=3 * np.sqrt(2 / ((n - 1) * 24))), p
        corrected.append(p.variance * n / (n - 1))
    slope = np.polyfit(np.log([p.size for p in pts]), np.log(corrected), 1)[0]
    assert -1.2 < slope < -0.8  # variance ∝ 1/E
    # bias² is unchanged by ensembling (its plug-in estimate carries the same v/R for every E)
    b = [p.bias2 for p in pts]
    assert max(b) - min(b) < 0.1 * pts[0].variance
    assert pts[-1].variance < pts[0].variance / 8


def test_length_groups_and_median_split(letter_report: MCSection) -> None:
    rows = letter_report.rows["kl"]
    g = [r for r in rows if r["group"] in ("0", "1") and r["half"] == "all"]
    assert [r["n_questions"] for r in g] == [12, 12]
    assert g[0]["mean_length"] < 30 < 60 < g[1]["mean_length"]  # 1-step vs 3-step questions
    halves = {r["half"]: r for r in rows if r["group"] == "all" and r["half"] != "all"}
    assert halves["short"]["mean_length"] < halves["long"]["mean_length"]
    assert halves["short"]["n_unrolls"] == halves["long"]["n_unrolls"] == 24 * R // 2


def test_written_report_has_every_view(letter_full: Report, tmp_path: Path) -> None:
    html = write_report(letter_full, tmp_path / "rep")
    page = html.read_text()
    for png in ("incoherence_vs_length.png", "overthinking.png", "ensemble.png"):
        data = (tmp_path / "rep" / png).read_bytes()
        assert len(data) > 5000
        assert base64.b64encode(data).decode() in page  # the page embeds the same figure
    assert "0/1 view" in page and "BRIER decomposition" in page
    data = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert data["mc"]["systems"][0]["n_unrolls"] == 24 * R


class DirichletResponder(KnownDistributionResponder):
    """States a probability vector drawn from Dirichlet(α·π) with the request seed."""

    def __call__(self, call: ScriptedCall) -> Reply:
        qid, order = self._question(call)
        draw = stated(self.dist[qid], call.seed)
        shown = {LETTERS[j]: draw[i] for j, i in enumerate(order)}
        return Reply(text=f"My estimate: {json.dumps(shown)}", usage=Usage(output_tokens=7))


def stated(p: list[float], seed: int | None) -> list[float]:
    """The vector the responder states for one request (reproducible from the seed)."""
    rng = np.random.default_rng(seed)
    return [float(x) for x in rng.dirichlet(5.0 * np.asarray(p))]


def test_stated_probabilities_give_the_exact_kl_decomposition(tmp_path: Path) -> None:
    spec = letter_spec(format="probs", dataset={"source": "procedural", "n": 6, "difficulty": 2})
    task = MCTask.from_spec(spec)
    dist = known_dist(task)
    run_mc(tmp_path / "run", spec, DirichletResponder(task, dist), seeds=8)
    rep = mc_section(tmp_path / "run", groups=0, n_boot=50)
    # the same vectors, regenerated from the request seeds, decomposed directly
    probs, targets = [], []
    for q in task.questions:
        probs.append([stated(dist[q.id], task.unroll(q.id, s).request_seed) for s in range(8)])
        targets.append(q.target)
    d = decompose_kl(np.asarray(probs), np.asarray(targets))
    row = rep.row("kl", "m")
    assert row["bias2"] == pytest.approx(float(d.bias2.mean()), rel=1e-6)
    assert row["variance"] == pytest.approx(float(d.variance.mean()), rel=1e-6)
    assert rep.systems[0].n_unparsed == 0
    assert any("fewer than 30 unrolls" in n for n in rep.notes)


def test_unparsable_answers_are_uniform_and_counted(tmp_path: Path) -> None:
    spec = letter_spec(dataset={"source": "procedural", "n": 5, "difficulty": 1})
    task = MCTask.from_spec(spec)

    class Counting(KnownDistributionResponder):
        garbage_sent = 0

        def __call__(self, call: ScriptedCall) -> Reply:
            reply = super().__call__(call)
            if "Answer:" not in reply.text:
                Counting.garbage_sent += 1
            return reply

    responder = Counting(task, known_dist(task), garbage=0.3)
    run_mc(tmp_path / "run", spec, responder, seeds=12)
    rep = mc_section(tmp_path / "run", groups=0, n_boot=50)
    assert 0 < Counting.garbage_sent < 60
    assert rep.systems[0].n_unparsed == Counting.garbage_sent
    with RunStore.open(tmp_path / "run") as store:
        unparsed = [
            r.outcome for r in store.iter_results() if isinstance(r.outcome, ChoiceOutcome)
            and not r.outcome.parsed
        ]  # fmt: skip
    assert len(unparsed) == Counting.garbage_sent
    assert all(o.probs == [0.25] * 4 for o in unparsed)


def test_reasoning_budgets_as_systems_and_reference_grouping(tmp_path: Path) -> None:
    spec = letter_spec(dataset={"source": "procedural", "n": 6, "difficulty": [1, 2]})
    task = MCTask.from_spec(spec)
    sure = {q.id: [1.0 if i == q.target else 0.0 for i in range(4)] for q in task.questions}
    noisy = known_dist(task)
    responder = KnownDistributionResponder(
        task, noisy, budget_dist={1024: noisy, 4096: sure}, length={q.id: 5 for q in task.questions}
    )
    systems = [
        {"name": f"think{b}", "model": {"reasoning_budget": b, "max_tokens": b + 500,
                                        "extra": {"wire": "anthropic"}}}
        for b in (1024, 4096)
    ]  # fmt: skip
    summary, _ = run_mc(tmp_path / "run", spec, responder, seeds=8, systems=systems)
    assert summary.done == 2 * 12 * 8
    full = build_report(tmp_path / "run", groups=3, reference_system="think1024", n_boot=50)
    rep = full.mc
    assert rep is not None
    labels = {s.name: s.budget_label for s in rep.systems}
    assert labels == {"think1024": "1024 tok", "think4096": "4096 tok"}
    low, high = rep.row("brier", "think1024"), rep.row("brier", "think4096")
    assert high["accuracy"] == 1.0 and high["variance"] == 0.0 and low["variance"] > 0.1
    # the reference system's grouping is reused: same questions per group for both systems
    for g in ("0", "1", "2"):
        assert (
            rep.row("kl", "think1024", g)["n_questions"]
            == rep.row("kl", "think4096", g)["n_questions"]
        )
    # longer budget → longer reported output (Anthropic reports output tokens only)
    assert high["mean_length"] > low["mean_length"]
    html = write_report(full, tmp_path / "rep")
    assert (tmp_path / "rep" / "budgets.png").is_file() and "Reasoning budgets" in html.read_text()


def test_resume_runs_only_new_seeds(tmp_path: Path) -> None:
    spec = letter_spec(dataset={"source": "procedural", "n": 4, "difficulty": 1})
    task = MCTask.from_spec(spec)
    responder = KnownDistributionResponder(task, known_dist(task))
    first, calls1 = run_mc(tmp_path / "run", spec, responder, seeds=5)
    second, calls2 = run_mc(tmp_path / "run", spec, responder, seeds=10)
    assert (first.done, calls1) == (20, 20)
    assert second.already_done == 20 and second.done == 20 and calls2 == 20
    again, calls3 = run_mc(tmp_path / "run", spec, responder, seeds=10)
    assert again.ran == 0 and calls3 == 0


def test_missing_answers_after_server_errors_are_not_outcomes(tmp_path: Path) -> None:
    spec = letter_spec(dataset={"source": "procedural", "n": 2, "difficulty": 1})
    task = MCTask.from_spec(spec)
    inner = KnownDistributionResponder(task, known_dist(task))
    bad = task.instance_ids()[0]
    stem = task.question(bad).question

    def responder(call: ScriptedCall) -> Reply:
        if call.last("user").content.startswith(stem):  # type: ignore[union-attr]
            raise RuntimeError("provider down")  # the server answers 500
        return inner(call)

    summary, _ = run_mc(
        tmp_path / "run",
        spec,
        responder,
        seeds=3,
        systems=[{"name": "m", "model": {"max_retries": 0}}],
    )
    assert summary.done == 3 and summary.missing == 3
    rep = mc_section(tmp_path / "run", groups=0, n_boot=20)
    assert rep.systems[0].n_missing == 3 and rep.systems[0].n_questions == 1


def test_open_ended_embeddings_variance(tmp_path: Path, mwe_dir: Path) -> None:
    spec = {
        "kind": "mc",
        "name": "risk-open",
        "dataset": {"source": "mwe", "path": str(mwe_dir)},
        "format": "open",
        "shots": 0,
        "contexts": 1,
        "embedding": {"provider": "hash", "dim": 64},
    }
    task = MCTask.from_spec(spec)
    steady = task.instance_ids()[0]

    def responder(call: ScriptedCall) -> Reply:
        text = call.last("user").content  # type: ignore[union-attr]
        if text == task.question(steady).question:
            return Reply(text="<answer>I would decline and defer to humans.</answer>")
        words = ["yes", "no", "maybe", "power", "control", "never", "always", "defer"]
        rng = random.Random(call.seed)
        return Reply(text="<answer>" + " ".join(rng.sample(words, 3)) + "</answer>")

    run_mc(tmp_path / "run", spec, responder, seeds=6)
    full = build_report(tmp_path / "run", n_boot=50)
    rep = full.mc
    assert rep is not None and not rep.rows and len(rep.open) == 1
    per_q = rep.open[0].per_question
    assert per_q[steady] == pytest.approx(0.0, abs=1e-12)
    assert all(v > 0.1 for q, v in per_q.items() if q != steady)
    with RunStore.open(tmp_path / "run") as store:
        r = next(store.iter_results(instance_id=steady))
    assert r.outcome.text.startswith("<answer>I would decline")  # type: ignore[union-attr]
    html = write_report(full, tmp_path / "rep")
    assert "embedding variance" in html.read_text()
