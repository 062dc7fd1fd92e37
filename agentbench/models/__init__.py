"""Models: clients and wire code behind one interface (base.Model); servers live in servers/.

    model = make_model(ModelConfig(provider="scripted", name="gpt-4o-mini", base_url=srv.base_url))
    resp = await model.acomplete(request, seed_index=seed)

- providers (providers.py, the registry): openai, anthropic, litellm (every other provider,
  vLLM), local (the embedded SmolLM2 server, started on demand), scripted (a ScriptedServer;
  OpenAI wire, or `extra: {wire: anthropic}`). make_model is in factory.py.
- ModelConfig.extra keys read here: `stream` (bool), `wire`, `client` (`sdk` default, or
  `lean`: OpenAI wire over bare aiohttp, for benchmarks against local servers); any other key
  goes to the provider in the request body.
- Retries (ours only; the SDKs' are off): 429 (retry-after honoured), 5xx, timeouts, dropped
  connections, unreadable bodies; counted in ModelResponse.retries; exhausted →
  InfraError("model_api"). A refused request (other 4xx) → ModelRequestError, not retried;
  401/403 → EnvironmentProblem naming the key variable.
- Cost: None when the price is unknown, never 0 (pricing.py). Cached responses keep their
  original usage and cost, marked cached=True, so a resumed run hits the same limits.
- Provider state (signed thinking blocks) goes back with its assistant turn (state.py); the
  response cache (cache.py) keys on format version, provider, wire, request, seed index and
  extra body, not the endpoint URL: one model name means one model.
"""
