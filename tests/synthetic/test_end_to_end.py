"""The tiny configuration trains, rolls out and reports through the real CLI; it beats an untrained model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from agentbench.analysis import synthetic as report
from agentbench.tasks.synthetic import experiment
from agentbench.tasks.synthetic.config import load_config
from agentbench.tasks.synthetic.rollout import rollout


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentbench.cli", "synth", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "OMP_NUM_THREADS": "1"},
    )


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny config trained and rolled out once for this module."""
    out = tmp_path_factory.mktemp("synth") / "run"
    for cmd in ("train", "rollout"):
        res = _cli(cmd, "-c", "tiny", "--out", str(out))
        assert res.returncode == 0, res.stderr
    return out


def test_trained_tiny_model_beats_untrained(tiny_run: Path) -> None:
    cfg = load_config("tiny")
    train = json.loads((tiny_run / "tiny" / "train.json").read_text())
    assert train["steps"] == cfg.train.steps
    # teacher-forced loss on held-out pairs: well below the untrained model's
    assert train["heldout_loss"] < 0.6 * train["untrained_heldout_loss"]
    # final distance to the minimum, from the same held-out starts, against the same
    # architecture at its (seeded) initial weights
    problem = experiment.build_problem(cfg)
    x0 = experiment.rollout_starts(cfg, problem, torch.device("cpu"))
    untrained, _ = rollout(experiment.new_model(cfg, "tiny"), x0, cfg.rollout.steps)
    untrained_dist = float((untrained[-1] - problem.b).norm(dim=-1).mean())
    trained = np.load(tiny_run / "tiny" / "rollout.npz")
    start_dist = float((x0 - problem.b).norm(dim=-1).mean())
    assert trained["mean_dist"][0] == pytest.approx(start_dist)
    assert trained["mean_dist"][-1] < 0.5 * start_dist
    assert trained["mean_dist"][-1] < 0.5 * untrained_dist
    # the identity holds at every recorded step
    assert np.allclose(trained["error"], trained["bias2"] + trained["variance"])
    assert len(trained["steps"]) == cfg.rollout.steps + 1


def test_report_writes_figures_and_summary(tiny_run: Path) -> None:
    res = _cli("report", "--run", str(tiny_run))
    assert res.returncode == 0, res.stderr
    rep = tiny_run / "report"
    for name in report.FIGURES:
        assert (rep / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((rep / "summary.json").read_text())
    row = summary["sizes"][0]
    assert row["size"] == "tiny" and row["params"] > 0
    rollout_json = json.loads((tiny_run / "tiny" / "rollout.json").read_text())
    assert row["final_incoherence"] == pytest.approx(rollout_json["final"]["incoherence"])
    assert "| tiny |" in (rep / "summary.md").read_text()
    # the same summary as a section of the one HTML report, its figures embedded
    page = (rep / "report.html").read_text()
    assert "Synthetic optimizer" in page and ">tiny</td>" in page
    assert page.count("data:image/png;base64,") == len(report.FIGURES)
    assert f"{row['final_incoherence']:.3f}" in page


def test_train_again_resumes_without_new_steps(tiny_run: Path) -> None:
    before = (tiny_run / "tiny" / "checkpoint.pt").stat().st_mtime_ns
    log_before = (tiny_run / "tiny" / "train_log.jsonl").read_text()
    res = _cli("train", "-c", "tiny", "--out", str(tiny_run))
    assert res.returncode == 0, res.stderr
    assert (tiny_run / "tiny" / "checkpoint.pt").stat().st_mtime_ns == before
    assert (tiny_run / "tiny" / "train_log.jsonl").read_text() == log_before


@pytest.mark.parametrize(
    ("yaml_text", "needle"),
    [
        ("name: x\nsizes: [tiny]\ntrian: {steps: 3}\n", "trian"),
        ("name: x\nsizes: [huge]\n", "unknown size"),
        ("name: x\nsizes: [tiny]\ntrain: {steps: 0}\n", "train.steps"),
        ("name: x\nsizes: [tiny\n", "invalid YAML"),
        ("- just a list\n", "top level must be a mapping"),
    ],
)
def test_bad_config_is_one_line_error(tmp_path: Path, yaml_text: str, needle: str) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml_text)
    res = _cli("train", "-c", str(cfg), "--out", str(tmp_path / "run"))
    assert res.returncode == 2
    assert needle in res.stderr and str(cfg) in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "run").exists()


def test_missing_inputs_are_user_errors(tmp_path: Path) -> None:
    res = _cli("train", "-c", str(tmp_path / "nope.yaml"))
    assert res.returncode == 2 and "no such config file" in res.stderr
    res = _cli("rollout", "-c", "tiny", "--out", str(tmp_path / "empty"))
    assert res.returncode == 2 and "no checkpoint" in res.stderr
    res = _cli("report", "--run", str(tmp_path / "empty"))
    assert res.returncode == 2 and "rollout.npz" in res.stderr
    assert "Traceback" not in res.stderr


def test_run_folder_of_another_config_is_refused(tiny_run: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    text = (Path(experiment.__file__).parent / "configs" / "tiny.yaml").read_text()
    other.write_text(text.replace("seed: 0", "seed: 1"))
    res = _cli("train", "-c", str(other), "--out", str(tiny_run))
    assert res.returncode == 2 and "different problem/data/train config" in res.stderr


@pytest.mark.parametrize("name", ["tiny", "cpu", "paper"])
def test_packaged_configs_load(name: str) -> None:
    cfg = load_config(name)
    assert cfg.name == name and cfg.problem.condition == 50 and cfg.problem.eta == 0.005


def test_interrupted_training_resumes_to_the_same_weights(tmp_path: Path) -> None:
    base = load_config("tiny")
    cfg = base.model_copy(
        update={
            "data": base.data.model_copy(update={"n_train": 32, "steps": 64, "eval_pairs": 64}),
            "train": base.train.model_copy(update={"steps": 60, "log_every": 20}),
        }
    )

    def stop_at_40(msg: str) -> None:
        if "step 40/" in msg:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        experiment.train_size(cfg, "tiny", tmp_path / "a", progress=stop_at_40)
    assert not (tmp_path / "a" / "tiny" / "train.json").exists()
    resumed = experiment.train_size(cfg, "tiny", tmp_path / "a")
    straight = experiment.train_size(cfg, "tiny", tmp_path / "b")
    assert resumed["steps"] == straight["steps"] == 60
    assert resumed["heldout_loss"] == straight["heldout_loss"]
    a = torch.load(tmp_path / "a" / "tiny" / "checkpoint.pt", weights_only=False)["model"]
    b = torch.load(tmp_path / "b" / "tiny" / "checkpoint.pt", weights_only=False)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    log = (tmp_path / "a" / "tiny" / "train_log.jsonl").read_text().splitlines()
    assert [json.loads(row)["step"] for row in log] == [20, 40, 60]


def test_cuda_config_without_gpu_is_environment_problem(tmp_path: Path) -> None:
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    cfg = tmp_path / "gpu.yaml"
    text = (Path(experiment.__file__).parent / "configs" / "tiny.yaml").read_text()
    cfg.write_text(text.replace("device: auto", "device: cuda"))
    res = _cli("train", "-c", str(cfg), "--out", str(tmp_path / "run"))
    assert res.returncode == 3 and "torch sees no GPU" in res.stderr
    assert not (tmp_path / "run").exists()


def test_diagnose_bench_reads_a_run(tiny_run: Path) -> None:
    script = Path(__file__).parents[2] / "bench" / "synth_diagnose.py"
    res = subprocess.run(
        [sys.executable, str(script), "--run", str(tiny_run), "--steps", "300"],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"},
    )
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    # the tokenised steepest-descent field converges like the exact one (to ~eta from b)
    quant = {ln.split()[0]: ln for ln in lines if ln.startswith("  exact") or "tokenised" in ln}
    final = {k: float(v.split("t=300: ‖x−b‖ ")[1].split()[0]) for k, v in quant.items()}
    assert final["exact"] < 0.005 and final["tokenised"] < 0.005
    probes = [ln for ln in lines if "cos" in ln]
    assert len(probes) == 5 and "tiny (4,336 params, 600 steps)" in res.stdout
    # on its training distribution far from b the trained tiny model points nearer the
    # true update than its untrained weights do
    trained, untrained = (float(h.split("cos ")[1].split()[0]) for h in probes[1].split("|"))
    assert trained > untrained + 0.1
