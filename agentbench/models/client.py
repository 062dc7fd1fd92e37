"""ClientModel: what every provider shares — defaults from the config, the response cache, the
concurrency gate, retries, cost — around one provider call (`_send`)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import weakref
from abc import abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from agentbench.config import ModelConfig
from agentbench.errors import EnvironmentProblem
from agentbench.logging import get_logger
from agentbench.models.base import Model
from agentbench.models.cache import FORMAT, ResponseCache
from agentbench.models.gate import Gate
from agentbench.models.pricing import Price, cost_usd, price_for
from agentbench.models.retry import (
    ModelRequestError,
    RetryPolicy,
    call_with_retries,
    classify,
    status_of,
)
from agentbench.models.state import TurnStates
from agentbench.records import Message, ModelRequest, ModelResponse, ToolSpec, content_hash

log = get_logger(__name__)
C = TypeVar("C")

# request fields a ModelConfig may default
_DEFAULTED = ("temperature", "top_p", "top_k", "max_tokens", "reasoning_budget", "reasoning_effort")
# ModelConfig.extra keys the model itself consumes; the rest go to the provider as extra body
RESERVED_EXTRA = frozenset({"stream", "wire", "client"})


_GATES: weakref.WeakValueDictionary[tuple[Any, ...], Gate] = weakref.WeakValueDictionary()
_GATES_LOCK = threading.Lock()


def shared_gate(cfg: ModelConfig) -> Gate:
    """The concurrency gate of one model endpoint, shared by every Model made for it.

    Tasks may call make_model once per sample: the limit must hold across all of them.
    """
    key = (cfg.provider, cfg.name, cfg.base_url, cfg.max_concurrency)
    with _GATES_LOCK:
        gate = _GATES.get(key)
        if gate is None:
            gate = _GATES[key] = Gate(cfg.max_concurrency)
        return gate


class ClientModel(Model, Generic[C]):
    """A Model behind one SDK client. Subclasses build the client and make one call."""

    # the format a response is parsed from: responses of one wire are interchangeable
    # (SDK or lean client), another wire's may lack the provider state this one needs
    wire = "openai"

    def __init__(
        self,
        cfg: ModelConfig,
        *,
        api_key: str | None,
        base_url: str | None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self.base_url = base_url
        self._api_key = api_key  # held privately; never logged or put in a repr
        self.policy = retry_policy or RetryPolicy()
        self.stream = bool(cfg.extra.get("stream", False))
        self.extra_body = {k: v for k, v in cfg.extra.items() if k not in RESERVED_EXTRA}
        self.gate = shared_gate(cfg)
        self.price: Price | None = price_for(cfg)
        self.cache = ResponseCache(cfg.cache_dir) if cfg.cache else None
        self.turns = TurnStates()  # provider state of the turns returned, for the next request
        # SDK clients hold connection pools bound to the loop that made them: one per loop
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, C] = (
            weakref.WeakKeyDictionary()
        )
        self._closers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task[None]] = (
            weakref.WeakKeyDictionary()
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(provider={self.cfg.provider!r}, name={self.name!r}, base_url={self.base_url!r})"

    # ---------------------------------------------------------------- subclass hooks

    @abstractmethod
    def _make_client(self) -> C:
        """A new SDK client with its own retries disabled."""

    @abstractmethod
    async def _send(self, client: C, request: ModelRequest) -> ModelResponse:
        """One provider call (no retries); fills text, reasoning, tool calls, usage, finish."""

    # ---------------------------------------------------------------- public

    def request(
        self, messages: list[Message], tools: list[ToolSpec] | None = None, **overrides: Any
    ) -> ModelRequest:
        """A ModelRequest for this model with the config's sampling settings."""
        return self.effective(
            ModelRequest(model=self.name, messages=messages, tools=tools or [], **overrides)
        )

    def effective(self, request: ModelRequest) -> ModelRequest:
        """`request` with unset sampling fields taken from the config; the model name is ours."""
        updates: dict[str, Any] = {
            f: getattr(self.cfg, f)
            for f in _DEFAULTED
            if getattr(request, f) is None and getattr(self.cfg, f) is not None
        }
        if request.model != self.name:
            updates["model"] = self.name
        return request.model_copy(update=updates) if updates else request

    async def acomplete(
        self, request: ModelRequest, *, seed_index: int | None = None
    ) -> ModelResponse:
        """Send `request`: cache, concurrency limit, retries and cost handled here."""
        req = self.effective(request)
        key = self.cache_key(req, seed_index) if self.cache is not None else ""
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            log.debug("model_cache_hit", model=self.name, seed_index=seed_index)
            self.turns.remember(hit)
            return hit
        client = self._client()
        async with self.gate:
            t0 = time.perf_counter()
            resp, retries = await call_with_retries(
                lambda: self._checked_send(client, req),
                max_retries=self.cfg.max_retries,
                policy=self.policy,
                model=self.name,
            )
            latency = time.perf_counter() - t0
        resp = resp.model_copy(
            update={
                "retries": retries,
                "latency_s": latency,
                "model": resp.model or self.name,
                "cost_usd": cost_usd(self.price, resp.usage),
            }
        )
        if self.cache is not None and (winner := self.cache.put(key, resp)) is not None:
            # another writer stored this key first: answer what the cache will always answer
            log.info(
                "model_cache_race",
                model=self.name,
                seed_index=seed_index,
                lost_usage=resp.usage.model_dump(),
                lost_cost_usd=resp.cost_usd,
            )
            resp = winner.model_copy(update={"retries": retries, "latency_s": latency})
        self.turns.remember(resp)
        return resp

    def cache_key(self, request: ModelRequest, seed_index: int | None) -> str:
        """The response-cache key: format, provider, wire, request, seed index, extra body."""
        extra = content_hash(self.extra_body, 32) if self.extra_body else "-"
        return f"{FORMAT}:{self.cfg.provider}:{self.wire}:{request.cache_key(seed_index)}:{extra}"

    async def aclose(self) -> None:
        """Close the client of the running loop."""
        closer = self._closers.pop(asyncio.get_running_loop(), None)
        if closer is not None and not closer.done():
            closer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await closer

    def close(self) -> None:
        """Close the cache file."""
        if self.cache is not None:
            self.cache.close()

    # ---------------------------------------------------------------- internals

    def _client(self) -> C:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = self._make_client()
            # asyncio.run cancels leftover tasks before closing its loop: this one then
            # closes the client, so per-run loops leave no open connections behind
            # (the task must not reference the model, or an unused model would never be freed)
            task = loop.create_task(_close_when_cancelled(client, type(self)._close_client))
            _LIVE_CLOSERS.add(task)  # the loop keeps only weak references to its tasks
            task.add_done_callback(_LIVE_CLOSERS.discard)
            self._closers[loop] = task
        return client

    @staticmethod
    async def _close_client(client: Any) -> None:
        """Close one SDK client (its connection pool)."""
        close = getattr(client, "close", None)
        if close is not None:
            result = close()
            if asyncio.iscoroutine(result):
                await result

    async def _checked_send(self, client: C, req: ModelRequest) -> ModelResponse:
        try:
            return await self._send(client, req)
        except Exception as exc:
            if classify(exc) is not None:
                raise  # retried by call_with_retries
            status = status_of(exc)
            if status in (401, 403):
                var = self.cfg.api_key_env or "the provider's key variable"
                raise EnvironmentProblem(
                    f"the provider rejected the API key ({status})",
                    field=var,
                    fix=f"set a valid key in ${var}",
                ) from exc
            if status is not None:
                raise ModelRequestError(
                    f"{self.name}: request refused ({status}, {type(exc).__name__})", status
                ) from exc
            raise


_LIVE_CLOSERS: set[asyncio.Task[None]] = set()


async def _close_when_cancelled(client: Any, close: Callable[[Any], Awaitable[None]]) -> None:
    """Wait until the loop's owner cancels leftover tasks, then close `client`."""
    try:
        await asyncio.get_running_loop().create_future()
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await close(client)
        raise
