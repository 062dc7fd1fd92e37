"""Teacher-forced training: AdamW, warmup + cosine, bf16 autocast on GPU, checkpoints (torch only)."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from agentbench.errors import DataError
from agentbench.tasks.synthetic import tokenizer as tok
from agentbench.tasks.synthetic.data import Problem, make_sequences
from agentbench.tasks.synthetic.model import DecoderLM


@dataclass(frozen=True)
class TrainHParams:
    """Optimisation settings for one training run."""

    steps: int = 2000
    batch_size: int = 256
    lr: float = 3e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 100
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0
    bf16: bool = True  # autocast to bf16 on CUDA (ignored on CPU)
    seed: int = 0


def lr_at(hp: TrainHParams, step: int) -> float:
    """Learning rate at `step`: linear warmup, then cosine decay to min_lr_ratio · lr."""
    if step < hp.warmup_steps:
        return hp.lr * (step + 1) / hp.warmup_steps
    span = max(1, hp.steps - hp.warmup_steps)
    frac = min(1.0, (step - hp.warmup_steps) / span)
    return hp.lr * (hp.min_lr_ratio + (1 - hp.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * frac)))


def update_slice(d: int) -> slice:
    """Positions in the shifted targets that hold the update tokens (the loss positions)."""
    return slice(1 + d * tok.NUM_LEN, 1 + 2 * d * tok.NUM_LEN)


def autocast(device: torch.device, enabled: bool = True) -> Any:
    """bf16 autocast on CUDA (when enabled), a no-op elsewhere."""
    on = enabled and device.type == "cuda"
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=on)


def update_loss(model: DecoderLM, seqs: torch.Tensor, d: int) -> torch.Tensor:
    """Mean next-token cross-entropy on the update tokens of token rows seqs (B, L)."""
    logits = model(seqs[:, :-1])
    sl = update_slice(d)
    lg = logits[:, sl].float()
    return F.cross_entropy(lg.reshape(-1, lg.shape[-1]), seqs[:, 1:][:, sl].reshape(-1))


@torch.no_grad()
def teacher_forced_loss(
    model: DecoderLM, problem: Problem, x: torch.Tensor, batch_size: int = 4096
) -> float:
    """Held-out loss: mean cross-entropy on update tokens for iterates x (n, d)."""
    was_training = model.training
    model.eval()
    device = x.device
    total, count = 0.0, 0
    for i in range(0, x.shape[0], batch_size):
        xb = x[i : i + batch_size]
        with autocast(device):
            loss = update_loss(model, make_sequences(problem, xb), problem.d)
        total += float(loss) * xb.shape[0]
        count += xb.shape[0]
    model.train(was_training)
    return total / max(count, 1)


class Trainer:
    """Owns model, optimizer and the batch RNG; trains, saves and resumes bit-exactly."""

    def __init__(
        self,
        model: DecoderLM,
        problem: Problem,
        train_x: torch.Tensor,
        hp: TrainHParams,
    ) -> None:
        self.device = train_x.device
        self.model = model.to(self.device)
        self.problem = problem.to(self.device)
        self.train_x = train_x
        self.hp = hp
        decay = [p for p in model.parameters() if p.dim() >= 2]
        no_decay = [p for p in model.parameters() if p.dim() < 2]
        self.opt = torch.optim.AdamW(
            [
                {"params": decay, "weight_decay": hp.weight_decay},
                {"params": no_decay, "weight_decay": 0.0},
            ],
            lr=hp.lr,
            betas=(hp.beta1, hp.beta2),
            fused=self.device.type == "cuda",
        )
        self.gen = torch.Generator(device=self.device).manual_seed(hp.seed)
        self.step = 0

    def _step(self) -> torch.Tensor:
        lr = lr_at(self.hp, self.step)
        for group in self.opt.param_groups:
            group["lr"] = lr
        idx = torch.randint(
            self.train_x.shape[0], (self.hp.batch_size,), generator=self.gen, device=self.device
        )
        seqs = make_sequences(self.problem, self.train_x[idx])
        with autocast(self.device, self.hp.bf16):
            loss = update_loss(self.model, seqs, self.problem.d)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.hp.grad_clip)
        self.opt.step()
        self.step += 1
        return loss.detach()

    def train(
        self,
        until: int | None = None,
        every: int = 100,
        callback: Callable[[int, float], None] | None = None,
        checkpoint: Path | None = None,
    ) -> None:
        """Train up to step `until` (default hp.steps); every `every` steps report and checkpoint."""
        until = self.hp.steps if until is None else until
        self.model.train()
        while self.step < until:
            loss = self._step()
            if self.step % every == 0 or self.step == until:
                # checkpoint first: a crash in between never logs a step that resume redoes
                if checkpoint is not None:
                    self.save(checkpoint)
                if callback is not None:
                    callback(self.step, float(loss))

    def state(self) -> dict[str, Any]:
        """Everything needed to resume: model, optimizer, step, hyper-parameters, RNG states."""
        rng: dict[str, Any] = {"batch": self.gen.get_state(), "torch": torch.get_rng_state()}
        if torch.cuda.is_available():
            rng["cuda"] = torch.cuda.get_rng_state_all()
        return {
            "model": self.model.state_dict(),
            "shape": asdict(self.model.shape),
            "optimizer": self.opt.state_dict(),
            "step": self.step,
            "hparams": asdict(self.hp),
            "rng": rng,
        }

    def save(self, path: Path) -> None:
        """Write a checkpoint atomically (temp file, then rename)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        torch.save(self.state(), tmp)
        os.replace(tmp, path)

    def load(self, path: Path) -> None:
        """Resume from a checkpoint written by `save`."""
        ck = load_checkpoint(path)
        if ck["shape"] != asdict(self.model.shape):
            raise DataError(
                f"checkpoint is for model shape {ck['shape']}, not {asdict(self.model.shape)}",
                path=str(path),
                field="shape",
                fix="train this size into a fresh output folder or pick the matching size",
            )
        self.model.load_state_dict(ck["model"])
        self.opt.load_state_dict(ck["optimizer"])
        self.step = int(ck["step"])
        self.gen.set_state(ck["rng"]["batch"])
        torch.set_rng_state(ck["rng"]["torch"])
        if "cuda" in ck["rng"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(ck["rng"]["cuda"])


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint; a missing or unreadable file is a DataError naming the path."""
    if not path.is_file():
        raise DataError(
            "no checkpoint", path=str(path), fix="run `agentbench synth train` for this size first"
        )
    try:
        ck = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise DataError(
            f"unreadable checkpoint ({type(exc).__name__})",
            path=str(path),
            fix="delete it and train again",
        ) from exc
    missing = {"model", "shape", "optimizer", "step", "rng"} - set(
        ck if isinstance(ck, dict) else {}
    )
    if missing:
        raise DataError(
            f"checkpoint lacks {sorted(missing)}", path=str(path), fix="delete it and train again"
        )
    return ck
