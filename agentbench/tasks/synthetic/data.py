"""The quadratic problem, its steepest-descent trajectories and token sequences (torch only).

f(x) = ½ (x − b)ᵀ A (x − b), gradient g = A (x − b). Steepest descent with a fixed step
norm, in the **Euclidean** norm: u = −η · g / ‖g‖₂ (the steepest direction for the
Euclidean norm is −g/‖g‖₂; at g = 0 the step is 0). Every step therefore has Euclidean
length exactly η, and it descends whenever ‖g‖₂ > η λ_max / 2 (because
f(x+u) − f(x) = −η‖g‖ + ½ uᵀAu ≤ −η‖g‖ + ½ η² λ_max); closer than that to b the iterate
zig-zags around the minimum at distance about η.

Rollout start points are a cloud: ``center + radius · U[−1, 1]^d`` with the centre at
Euclidean distance ``start_offset`` from b in a seeded random direction **(ours)**. An
offset cloud makes the error at step 0 mostly systematic (the mean start is far from b);
a cloud centred on b would give incoherence ≈ 1 − 1/N at step 0 by construction.

Training trajectories start from a mixture **(ours)**: a fraction ``spread`` from a wide
cube ``b + spread_radius · U[−1, 1]^d`` around the minimum, the rest from the rollout
cloud. Trajectories from the offset cloud alone fill one thin tube into b, so a model
never sees the field off that tube (measured: at 0.01–0.2 from b in random directions a
model trained that way predicts updates with cosine ≈ 0 to the true ones), and a
rollout that drifts off the tube has no restoring force and sails past b. Starts from
every side of b teach the field that pulls the iterate back.

Everything numeric is float64 on the given device; the problem (A, b and the start
centre) is drawn on the CPU from the seed so it is the same on every device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from agentbench.tasks.synthetic import tokenizer as tok


def seq_len(d: int) -> int:
    """Length of one (iterate, update) token sequence for dimension d."""
    return 2 + 2 * d * tok.NUM_LEN


@dataclass(frozen=True)
class Problem:
    """One quadratic: A (d×d, SPD), minimum b, step norm eta and the start-point cloud."""

    A: torch.Tensor
    b: torch.Tensor
    eta: float
    start_center: torch.Tensor
    start_radius: float

    @property
    def d(self) -> int:
        """Dimension."""
        return int(self.b.shape[0])

    def to(self, device: torch.device | str) -> Problem:
        """The same problem with its tensors on `device`."""
        return Problem(
            self.A.to(device),
            self.b.to(device),
            self.eta,
            self.start_center.to(device),
            self.start_radius,
        )

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """f(x) for x (..., d)."""
        r = x - self.b
        return 0.5 * ((r @ self.A) * r).sum(-1)


def make_problem(
    d: int = 4,
    condition: float = 50.0,
    eta: float = 0.005,
    b_scale: float = 1.0,
    start_offset: float = 1.0,
    start_radius: float = 0.25,
    seed: int = 0,
) -> Problem:
    """A seeded random SPD A with eigenvalues log-spaced in [1, condition], b ~ U[−b_scale, b_scale]^d."""
    g = torch.Generator().manual_seed(seed)
    q, r = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))
    q = q * torch.sign(torch.diagonal(r))  # a Haar-random rotation
    lam = torch.logspace(0.0, math.log10(condition), d, dtype=torch.float64)
    a = q @ torch.diag(lam) @ q.T
    a = 0.5 * (a + a.T)
    b = (torch.rand(d, generator=g, dtype=torch.float64) * 2 - 1) * b_scale
    direction = torch.randn(d, generator=g, dtype=torch.float64)
    center = b + start_offset * direction / direction.norm()
    return Problem(a, b, float(eta), center, float(start_radius))


def steepest_step(problem: Problem, x: torch.Tensor) -> torch.Tensor:
    """The ground-truth update u = −η g/‖g‖₂ for iterates x (..., d)."""
    g = (x - problem.b) @ problem.A
    norm = g.norm(dim=-1, keepdim=True)
    return torch.where(norm > 0, -problem.eta * g / norm.clamp_min(1e-300), torch.zeros_like(g))


def sample_starts(problem: Problem, n: int, generator: torch.Generator) -> torch.Tensor:
    """n start points from the problem's start cloud, on the generator's device."""
    dev = generator.device
    u = torch.rand(n, problem.d, generator=generator, device=dev, dtype=torch.float64)
    return problem.start_center.to(dev) + problem.start_radius * (2 * u - 1)


def sample_train_starts(
    problem: Problem, n: int, generator: torch.Generator, spread: float, spread_radius: float
) -> torch.Tensor:
    """n training starts: each from the wide cube around b with probability `spread`, else the cloud."""
    dev = generator.device
    cloud = sample_starts(problem, n, generator)
    if spread <= 0:
        return cloud
    u = torch.rand(n, problem.d, generator=generator, device=dev, dtype=torch.float64)
    wide = problem.b.to(dev) + spread_radius * (2 * u - 1)
    pick = torch.rand(n, 1, generator=generator, device=dev) < spread
    return torch.where(pick, wide, cloud)


def trajectories(problem: Problem, x0: torch.Tensor, steps: int) -> torch.Tensor:
    """Ground-truth iterates (n, steps + 1, d) from starts x0 (n, d), computed on x0's device."""
    p = problem.to(x0.device)
    out = torch.empty(x0.shape[0], steps + 1, x0.shape[1], dtype=torch.float64, device=x0.device)
    x = x0.to(torch.float64)
    out[:, 0] = x
    for t in range(steps):
        x = x + steepest_step(p, x)
        out[:, t + 1] = x
    return out


def generate_iterates(
    problem: Problem,
    n_traj: int,
    steps: int,
    seed: int,
    device: torch.device | str = "cpu",
    chunk: int = 4096,
    spread: float = 0.0,
    spread_radius: float = 1.0,
) -> torch.Tensor:
    """Training inputs: the first `steps` iterates of n_traj trajectories, flat (n_traj·steps, d).

    Generated in chunks of trajectories on the device from a seeded device generator;
    starts as in `sample_train_starts`.
    """
    gen = torch.Generator(device=device).manual_seed(seed)
    parts = []
    for start in range(0, n_traj, chunk):
        n = min(chunk, n_traj - start)
        x0 = sample_train_starts(problem, n, gen, spread, spread_radius)
        parts.append(trajectories(problem, x0, steps)[:, :steps].reshape(-1, problem.d))
    return torch.cat(parts)


def make_sequences(problem: Problem, x: torch.Tensor) -> torch.Tensor:
    """Token rows [BOS, x, SEP, u(x)] (n, seq_len) for iterates x (n, d)."""
    u = steepest_step(problem.to(x.device), x)
    return prompt_tokens(x, extra=tok.encode(u))


def prompt_tokens(x: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
    """[BOS, encode(x), SEP] (n, 2 + d·6), followed by `extra` tokens if given."""
    n = x.shape[0]
    bos = torch.full((n, 1), tok.BOS, dtype=torch.long, device=x.device)
    sep = torch.full((n, 1), tok.SEP, dtype=torch.long, device=x.device)
    parts = [bos, tok.encode(x), sep]
    if extra is not None:
        parts.append(extra)
    return torch.cat(parts, dim=1)
