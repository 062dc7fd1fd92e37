"""A small HTTP/1.1 server on asyncio streams: keep-alive, Content-Length and chunked bodies.

Hand-rolled rather than a framework so faults (dropped connection, hang, broken body) can be
injected at the byte level and so hundreds of requests in flight cost little.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from agentbench.errors import UserError

MAX_BODY = 64 * 1024 * 1024
MAX_HEADERS = 100


@dataclass
class Request:
    """One parsed HTTP request."""

    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    keep_alive: bool = True

    def json(self) -> Any:
        """The body parsed as JSON; too deep or malformed is a ValueError (answered 400)."""
        from agentbench.safeio import loads_json

        try:
            return loads_json(self.body or b"null", source="request body", max_bytes=MAX_BODY)
        except UserError as exc:  # a RecursionError here would drop the connection unanswered
            raise ValueError(exc.detail) from None


@dataclass
class Connection:
    """The client connection a handler answers on."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    keep_alive: bool = True

    async def send(
        self,
        status: int,
        body: bytes,
        *,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Write a complete response with a Content-Length."""
        head = self._head(status, content_type, headers)
        head.append(f"content-length: {len(body)}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await self.writer.drain()

    async def send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        """Write `obj` as a JSON response."""
        await self.send(status, json.dumps(obj).encode(), headers=headers)

    async def start_stream(
        self, status: int = 200, content_type: str = "text/event-stream"
    ) -> None:
        """Begin a chunked response (server-sent events)."""
        head = self._head(status, content_type, {"cache-control": "no-cache"})
        head.append("transfer-encoding: chunked")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode())

    async def write_chunk(self, data: bytes) -> None:
        """Write one chunk of a streamed response."""
        if data:
            self.writer.write(b"%x\r\n%b\r\n" % (len(data), data))
            await self.writer.drain()

    async def end_stream(self) -> None:
        """Finish a chunked response."""
        self.writer.write(b"0\r\n\r\n")
        await self.writer.drain()

    def drop(self) -> None:
        """Close the connection abruptly, without a response."""
        self.keep_alive = False
        self.writer.transport.abort()

    async def wait_closed_by_client(self, timeout: float) -> None:
        """Hold the request until the client gives up (closes) or `timeout` passes."""
        self.keep_alive = False
        try:
            async with asyncio.timeout(timeout):
                while await self.reader.read(65536):
                    pass
        except TimeoutError:
            pass

    def _head(self, status: int, content_type: str, headers: dict[str, str] | None) -> list[str]:
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Status"
        lines = [f"HTTP/1.1 {status} {phrase}", f"content-type: {content_type}"]
        lines.append("connection: keep-alive" if self.keep_alive else "connection: close")
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        return lines


Handler = Callable[[Request, Connection], Awaitable[None]]


class BadRequest(Exception):
    """The bytes on the wire are not an HTTP request we understand."""


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """Read one request; None when the client closed the connection between requests."""
    try:
        return await _read_request(reader)
    except BadRequest:
        raise
    except ValueError as exc:  # a line over the reader's limit (asyncio raises ValueError)
        raise BadRequest(f"malformed request ({exc})") from None


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    line = await reader.readline()
    if not line:
        return None
    try:
        method, target, version = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    except ValueError as exc:
        raise BadRequest(f"bad request line {line[:80]!r}") from exc
    headers: dict[str, str] = {}
    while True:
        h = await reader.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        if len(headers) >= MAX_HEADERS:
            raise BadRequest("too many headers")
        name, _, value = h.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        raw_n = headers.get("content-length", "0") or "0"
        if not raw_n.isdigit():
            raise BadRequest(f"bad content-length {raw_n[:20]!r}")
        n = int(raw_n)
        if n > MAX_BODY:
            raise BadRequest("body too large")
        body = await reader.readexactly(n) if n else b""
    conn_hdr = headers.get("connection", "").lower()
    keep = conn_hdr != "close" if version.upper() == "HTTP/1.1" else conn_hdr == "keep-alive"
    return Request(method.upper(), target.split("?", 1)[0], headers, body, keep)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        try:
            size = int((await reader.readline()).split(b";", 1)[0].strip() or b"0", 16)
        except ValueError:
            raise BadRequest("bad chunk size") from None
        total += size
        if size < 0 or total > MAX_BODY:  # chunks add up: the cap is on the whole body
            raise BadRequest("body too large")
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def serve_connection(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, handler: Handler
) -> None:
    """Answer requests on one connection until the client or the handler closes it."""
    try:
        while True:
            try:
                req = await read_request(reader)
            except BadRequest:
                writer.write(
                    b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                )
                break
            if req is None:
                break
            conn = Connection(reader, writer, keep_alive=req.keep_alive)
            await handler(req, conn)
            if not conn.keep_alive or writer.transport.is_closing():
                break
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        if not writer.transport.is_closing():
            writer.close()
