"""The quadratic, the ground-truth steepest descent and the token layout."""

from __future__ import annotations

import torch

from agentbench.tasks.synthetic import data
from agentbench.tasks.synthetic import tokenizer as tok


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
