"""The quadratic, the ground-truth steepest descent and the token layout."""

from __future__ import annotations

import pytest
import torch

from agentbench.tasks.synthetic import data, experiment
from agentbench.tasks.synthetic import tokenizer as tok
from agentbench.tasks.synthetic.config import load_config


def test_problem_has_the_set_condition_number_and_is_seeded() -> None:
    p = data.make_problem(d=4, condition=50.0, seed=3)
    assert torch.allclose(p.A, p.A.T)
    lam = torch.linalg.eigvalsh(p.A)
    assert lam.min() > 0
    assert torch.isclose(lam.max() / lam.min(), torch.tensor(50.0, dtype=torch.float64))
    q = data.make_problem(d=4, condition=50.0, seed=3)
    assert torch.equal(p.A, q.A) and torch.equal(p.b, q.b)
    assert not torch.equal(p.b, data.make_problem(seed=4).b)
    assert torch.isclose((p.start_center - p.b).norm(), torch.tensor(1.0, dtype=torch.float64))


def test_steps_have_the_set_norm_and_descend() -> None:
    p = data.make_problem(eta=0.005, start_offset=0.5, start_radius=0.2, seed=0)
    x0 = data.sample_starts(p, 32, torch.Generator().manual_seed(1))
    traj = data.trajectories(p, x0, 300)
    steps = traj[:, 1:] - traj[:, :-1]
    assert torch.allclose(
        steps.norm(dim=-1), torch.full(steps.shape[:2], 0.005, dtype=torch.float64)
    )
    # each step is -eta along the gradient direction
    g = (traj[:, :-1] - p.b) @ p.A
    cos = (steps * -g).sum(-1) / (steps.norm(dim=-1) * g.norm(dim=-1))
    assert torch.allclose(cos, torch.ones_like(cos))
    # descent is guaranteed while ||g|| > eta * lambda_max / 2
    f = p.loss(traj)
    far = g.norm(dim=-1) > 0.005 * 50 / 2
    assert far.sum() > 1000
    assert bool((f[:, 1:] < f[:, :-1])[far].all())
    assert float(f[:, -1].max()) < float(f[:, 0].min())


def test_generate_iterates_is_seeded_and_flat() -> None:
    p = data.make_problem(seed=0)
    a = data.generate_iterates(p, 10, 20, seed=5, chunk=4)
    b = data.generate_iterates(p, 10, 20, seed=5)
    assert a.shape == (200, 4) and torch.equal(a, b)
    assert not torch.equal(a, data.generate_iterates(p, 10, 20, seed=6))


def test_sequence_layout() -> None:
    p = data.make_problem(seed=0)
    x = data.sample_starts(p, 5, torch.Generator().manual_seed(0))
    s = data.make_sequences(p, x)
    assert s.shape == (5, data.seq_len(4)) == (5, 50)
    assert (s[:, 0] == tok.BOS).all() and (s[:, 25] == tok.SEP).all()
    assert torch.equal(tok.decode(s[:, 1:25]), tok.quantize(x))
    assert torch.equal(tok.decode(s[:, 26:]), tok.quantize(data.steepest_step(p, x)))


def _orthants_around_b(x: torch.Tensor, b: torch.Tensor, lo: float, hi: float) -> int:
    """How many of the 2^d sign orthants of x − b hold an iterate at distance lo..hi from b."""
    r = x - b
    dist = r.norm(dim=-1)
    sel = r[(dist > lo) & (dist < hi)]
    code = ((sel > 0).long() * (2 ** torch.arange(x.shape[1]))).sum(-1)
    return int(torch.unique(code).numel())


def test_offset_cloud_alone_leaves_most_sides_of_b_untrained() -> None:
    # why the spread exists: trajectories from one offset cloud reach b through one tube
    p = data.make_problem(seed=0, start_offset=0.5, start_radius=0.15)
    x = data.generate_iterates(p, 256, 256, seed=1, spread=0.0)
    assert _orthants_around_b(x, p.b, 0.05, 0.3) <= 8


@pytest.mark.parametrize("name", ["tiny", "cpu", "paper"])
def test_packaged_training_data_surrounds_the_minimum(name: str) -> None:
    cfg = load_config(name)
    # the real config's problem and start mixture; fewer trajectories keep the test fast
    cfg = cfg.model_copy(
        update={"data": cfg.data.model_copy(update={"n_train": 256, "n_heldout": 8})}
    )
    problem = experiment.build_problem(cfg)
    train_x, eval_x = experiment.build_data(cfg, problem, torch.device("cpu"))
    assert _orthants_around_b(train_x, problem.b, 0.05, 0.3) >= 12
    # and the rollout cloud lies inside the wide part of the start distribution
    corner = (problem.start_center - problem.b).abs().max() + problem.start_radius
    assert cfg.problem.train_spread > 0 and corner <= cfg.problem.train_radius
    assert eval_x.shape[1] == problem.d


def test_train_starts_mix_the_cloud_and_the_wide_cube() -> None:
    p = data.make_problem(seed=0, start_offset=0.5, start_radius=0.15)
    x0 = data.sample_train_starts(p, 4000, torch.Generator().manual_seed(0), 0.5, 0.75)
    in_cloud = ((x0 - p.start_center).abs() <= p.start_radius).all(-1)
    assert ((x0 - p.b).abs() <= 0.75).all()
    # half come from the cloud, plus the few wide starts that happen to land inside it
    assert 0.45 < float(in_cloud.float().mean()) < 0.6
    same = data.sample_train_starts(p, 4000, torch.Generator().manual_seed(0), 0.5, 0.75)
    assert torch.equal(x0, same)
    only_cloud = data.sample_train_starts(p, 100, torch.Generator().manual_seed(0), 0.0, 0.75)
    assert ((only_cloud - p.start_center).abs() <= p.start_radius).all()
