"""OpenAI wire over a bare aiohttp session, parsed by our own code.

The openai SDK spends more CPU per call than a local server needs to answer (≈3 ms here), so
framework benchmarks against the scripted or local server would measure the SDK. This client
sends the same request body and handles the same faults; choose it with
`extra: {client: lean}` (providers openai, local, scripted).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from agentbench.models.client import ClientModel
from agentbench.models.openai_model import build_kwargs
from agentbench.models.openai_wire import StreamAccumulator, parse_completion
from agentbench.models.retry import MalformedResponse
from agentbench.records import ModelRequest, ModelResponse


class HTTPStatusError(Exception):
    """A non-2xx answer; `status_code` and `headers` are what the retry policy reads."""

    def __init__(self, status: int, headers: dict[str, str], body: str) -> None:
        self.status_code = status
        self.headers = headers
        super().__init__(f"HTTP {status}: {body[:200]}")


class LeanConnectionError(ConnectionError):
    """The connection failed or dropped before a full answer."""


class LeanOpenAIModel(ClientModel[aiohttp.ClientSession]):
    """Chat completions over aiohttp; same semantics as OpenAIModel, a fraction of the CPU."""

    def _make_client(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=self.cfg.max_concurrency, force_close=False)
        return aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.cfg.timeout_s),
            headers={"Authorization": f"Bearer {self._api_key}"},
        )

    def body(self, req: ModelRequest) -> dict[str, Any]:
        """The JSON body (extra_body merged in, as the SDK does)."""
        kw = build_kwargs(req, self.cfg.provider, self.extra_body, self.turns.recall)
        kw.update(kw.pop("extra_body", {}))
        if self.stream:
            kw.update(stream=True, stream_options={"include_usage": True})
        return kw

    async def _send(self, client: aiohttp.ClientSession, request: ModelRequest) -> ModelResponse:
        url = f"{self.base_url}/chat/completions"
        try:
            async with client.post(url, json=self.body(request)) as r:
                if r.status >= 400:
                    text = await r.text(errors="replace")
                    raise HTTPStatusError(r.status, dict(r.headers), text)
                if not self.stream:
                    return parse_completion(_loads(await r.read()))
                acc = StreamAccumulator()
                async for line in r.content:
                    data = line.strip()
                    if not data.startswith(b"data:"):
                        continue
                    data = data[5:].strip()
                    if data == b"[DONE]":
                        break
                    acc.add(_loads(data))
                return acc.result()
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            if isinstance(exc, asyncio.TimeoutError):
                raise  # aiohttp's read timeouts are both: keep it a timeout
            raise LeanConnectionError(f"{type(exc).__name__}: {exc}") from exc


def _loads(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise MalformedResponse(f"unreadable JSON ({exc})") from exc
