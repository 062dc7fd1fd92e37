"""ScriptedServer: a real HTTP server on 127.0.0.1 that speaks the OpenAI and Anthropic chat
wire formats, answers with scripted replies and injects faults on demand."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from agentbench.logging import get_logger
from agentbench.servers.scripted import wire
from agentbench.servers.scripted.http import Connection, Request, serve_connection
from agentbench.servers.scripted.types import Fault, Reply, ScriptedCall

log = get_logger(__name__)

# A responder may also answer a call with a Fault (the call is still recorded in `calls`).
Responder = Callable[[ScriptedCall], Reply | Fault]

_OPENAI_PATHS = ("/v1/chat/completions", "/chat/completions")
_ANTHROPIC_PATHS = ("/v1/messages", "/messages")
_MODEL = {"id": "scripted", "object": "model", "created": 0, "owned_by": "agentbench"}
_MODELS = {"object": "list", "data": [_MODEL]}  # what GET /v1/models answers


class ScriptedServer:
    """Serve scripted replies over HTTP in a background thread (`with srv:`) or the foreground.

    `calls` lists the requests the responder answered (faulted requests are not in it; they
    are counted in `n_requests`). `max_in_flight` is the most chat requests open at once.
    """

    def __init__(self, responder: Responder, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.responder = responder
        self.host = host
        self.port = port
        self.calls: list[ScriptedCall] = []
        self.n_requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[asyncio.Task[Any]] = set()
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # ---------------------------------------------------------------- constructors

    @classmethod
    def from_replies(cls, replies: Sequence[Reply], **kw: Any) -> ScriptedServer:
        """A server answering call i with replies[i % len(replies)]."""
        if not replies:
            raise ValueError("from_replies needs at least one Reply")
        items = list(replies)
        return cls(lambda call: items[call.index % len(items)], **kw)

    # ---------------------------------------------------------------- control

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT (OpenAI clients append /v1)."""
        if not self._ready.is_set():
            raise RuntimeError("ScriptedServer is not running: use `with srv:` or start()")
        return f"http://{self.host}:{self.port}"

    @property
    def open_connections(self) -> int:
        """Client connections open now (keep-alive ones included)."""
        return len(self._conns)

    def inject(self, fault: Fault) -> None:
        """Answer the next `fault.count` chat requests with `fault` instead of a reply."""
        with self._lock:
            self._faults.extend(fault for _ in range(fault.count))

    def start(self) -> ScriptedServer:
        """Start serving in a background thread; returns once the port is bound."""
        if self._thread is not None:
            return self
        self._thread = threading.Thread(
            target=self._run_thread, name="scripted-server", daemon=True
        )
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        """Stop the background server and close open connections."""
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
            thread.join(10)
        self._thread = None
        self._ready.clear()

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def serve_forever(self, on_ready: Callable[[str], None] | None = None) -> None:
        """Serve on the current event loop until cancelled (the CLI's foreground mode)."""
        await self._open()
        if on_ready is not None:
            on_ready(self.base_url)
        try:
            await asyncio.Event().wait()
        finally:
            await self._shutdown()

    # ---------------------------------------------------------------- internals

    def _run_thread(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._open())
        except BaseException as exc:  # bind failure: report to start()
            self._error = exc
            self._ready.set()
            loop.close()
            return
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _open(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(
            self._on_connect, self.host, self.port, backlog=1024
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._conns):
            task.cancel()
        if self._conns:
            await asyncio.gather(*self._conns, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
        self._server = None
        loop = asyncio.get_running_loop()
        if threading.current_thread() is self._thread:
            loop.call_soon(loop.stop)

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns.add(task)
        try:
            await serve_connection(reader, writer, self._handle)
        except asyncio.CancelledError:
            writer.transport.abort()
        finally:
            self._conns.discard(task)

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    async def _handle(self, req: Request, conn: Connection) -> None:
        if req.method == "GET" and req.path in ("/v1/models", "/models"):
            await conn.send_json(200, _MODELS)
            return
        if req.method != "POST" or req.path not in _OPENAI_PATHS + _ANTHROPIC_PATHS:
            await conn.send_json(404, {"error": {"message": f"no route {req.method} {req.path}"}})
            return
        api = "openai" if req.path in _OPENAI_PATHS else "anthropic"
        self.n_requests += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self._chat(api, req, conn)
        finally:
            self.in_flight -= 1

    async def _chat(self, api: str, req: Request, conn: Connection) -> None:
        fault = self._next_fault()
        if fault is not None:
            await self._fault(api, fault, req, conn)
            return
        try:
            body = req.json()
            index = len(self.calls)
            call = (
                wire.parse_openai(body, index)
                if api == "openai"
                else wire.parse_anthropic(body, req.headers, index)
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            await self._error_reply(api, conn, 400, f"unreadable request: {exc}")
            return
        self.calls.append(call)
        try:
            reply = self.responder(call)
        except Exception as exc:  # a responder bug: answer 500 and log it, do not kill the server
            log.error("scripted_responder_failed", error=repr(exc), index=call.index)
            await self._error_reply(api, conn, 500, f"responder failed: {exc!r}")
            return
        if isinstance(reply, Fault):
            await self._fault(api, reply, req, conn)
            return
        if reply.delay_s > 0:
            await asyncio.sleep(reply.delay_s)
        if call.stream:
            events = (
                wire.openai_stream(reply, call)
                if api == "openai"
                else wire.anthropic_stream(reply, call)
            )
            await conn.start_stream()
            # one write per answer: the events are small, and fewer syscalls keep it fast
            await conn.write_chunk(b"".join(events))
            await conn.end_stream()
        else:
            obj = (
                wire.openai_body(reply, call)
                if api == "openai"
                else wire.anthropic_body(reply, call)
            )
            await conn.send_json(200, obj)

    async def _error_reply(
        self,
        api: str,
        conn: Connection,
        status: int,
        msg: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        body = (
            wire.openai_error(status, msg) if api == "openai" else wire.anthropic_error(status, msg)
        )
        await conn.send_json(status, body, headers=headers)

    async def _fault(self, api: str, fault: Fault, req: Request, conn: Connection) -> None:
        log.debug("scripted_fault", kind=fault.kind, api=api)
        if fault.kind == "429":
            hdrs = (
                {"retry-after": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            )
            await self._error_reply(api, conn, 429, "scripted rate limit", hdrs)
        elif fault.kind == "500":
            await self._error_reply(api, conn, 500, "scripted server error")
        elif fault.kind == "hang":
            await conn.wait_closed_by_client(fault.hang_s)
            conn.drop()
        elif fault.kind == "drop":
            conn.drop()
        elif fault.kind == "malformed":
            stream = False
            with contextlib.suppress(ValueError, AttributeError):
                stream = bool(json.loads(req.body).get("stream"))
            if stream:
                await conn.start_stream()
                prefix = b"event: message_start\n" if api == "anthropic" else b""
                await conn.write_chunk(prefix + b'data: {"id": "broken", "choices": [\n\n')
                await conn.end_stream()
            else:
                await conn.send(200, b'{"id": "broken", "choices": [{"index": 0, "mess')
