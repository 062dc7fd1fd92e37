"""A small decoder-only transformer with a KV cache (torch only)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from agentbench.tasks.synthetic.tokenizer import VOCAB_SIZE


@dataclass(frozen=True)
class ModelShape:
    """Shape of one model in the family."""

    d_model: int
    n_layer: int
    n_head: int
    vocab_size: int = VOCAB_SIZE
    max_len: int = 50

    def param_count(self) -> int:
        """Exact number of parameters (tied embeddings counted once)."""
        d, L = self.d_model, self.n_layer
        per_block = (3 * d * d + 3 * d) + (d * d + d) + (8 * d * d + 5 * d) + 4 * d
        return L * per_block + (self.vocab_size + self.max_len) * d + 2 * d

    def train_flops_per_token(self, context: int | None = None) -> float:
        """Model FLOPs per trained token: 6·N (matmuls, fwd + bwd) + 12·L·d·T (attention).

        N counts the weight matrices a token passes through (blocks and the tied output
        head, not the embedding lookups); T is the context attended over, `context` tokens
        (default max_len), counted as the full T×T product (PaLM's convention: the causal
        mask's skipped half is not subtracted).
        """
        t = self.max_len if context is None else context
        n_matmul = 12 * self.n_layer * self.d_model**2 + self.vocab_size * self.d_model
        return 6.0 * n_matmul + 12.0 * self.n_layer * self.d_model * t


class _Attention(nn.Module):
    def __init__(self, d: int, n_head: int) -> None:
        super().__init__()
        self.n_head = n_head
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)

    def forward(self, x: torch.Tensor, cache: list[torch.Tensor] | None) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)
        q, k, v = (z.view(b, t, self.n_head, d // self.n_head).transpose(1, 2) for z in (q, k, v))
        if cache is not None:
            if cache:
                k = torch.cat([cache[0], k], dim=2)
                v = torch.cat([cache[1], v], dim=2)
            cache[:] = [k, v]
        # a cached decode step (t == 1) may attend to everything before it
        causal = t > 1
        y = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class _Block(nn.Module):
    def __init__(self, d: int, n_head: int) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = _Attention(d, n_head)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x: torch.Tensor, cache: list[torch.Tensor] | None) -> torch.Tensor:
        x = x + self.attn(self.ln1(x), cache)
        return x + self.mlp(self.ln2(x))


class DecoderLM(nn.Module):
    """Pre-LayerNorm GPT-style decoder with learned positions and a tied output head."""

    def __init__(self, shape: ModelShape) -> None:
        super().__init__()
        if shape.d_model % shape.n_head:
            raise ValueError(f"d_model {shape.d_model} is not divisible by n_head {shape.n_head}")
        self.shape = shape
        self.tok = nn.Embedding(shape.vocab_size, shape.d_model)
        self.pos = nn.Embedding(shape.max_len, shape.d_model)
        self.blocks = nn.ModuleList(
            [_Block(shape.d_model, shape.n_head) for _ in range(shape.n_layer)]
        )
        self.ln_f = nn.LayerNorm(shape.d_model)
        self.apply(self._init)

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def forward(
        self,
        idx: torch.Tensor,
        caches: list[list[torch.Tensor]] | None = None,
        start: int = 0,
    ) -> torch.Tensor:
        """Logits (B, T, V) for tokens idx (B, T) at positions start..start+T-1."""
        pos = torch.arange(start, start + idx.shape[1], device=idx.device)
        x = self.tok(idx) + self.pos(pos)
        for i, block in enumerate(self.blocks):
            x = block(x, None if caches is None else caches[i])
        return self.ln_f(x) @ self.tok.weight.T

    def new_cache(self) -> list[list[torch.Tensor]]:
        """An empty KV cache, one [k, v] slot per layer."""
        return [[] for _ in self.blocks]


def build_model(name: str, sizes: dict[str, dict[str, int]], max_len: int) -> DecoderLM:
    """The model called `name` in the size table, for sequences up to max_len tokens."""
    spec = sizes[name]
    return DecoderLM(ModelShape(spec["d_model"], spec["n_layer"], spec["n_head"], max_len=max_len))
