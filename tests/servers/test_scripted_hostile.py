"""The scripted model server answers hostile requests with 400 and keeps serving."""

from __future__ import annotations

import contextlib
import socket

import pytest

from agentbench.servers.scripted import Reply, ScriptedServer

HEAD = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
DEEP = b'{"model":"m","messages":' + b"[" * 100_000 + b"]" * 100_000 + b"}"


def _exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        # the server may close before reading all of a request it refused
        with contextlib.suppress(OSError):
            s.sendall(data)
        return s.recv(200)


@pytest.mark.parametrize(
    "request_bytes",
    [
        pytest.param(HEAD + b"Content-Length: abc\r\n\r\n", id="content-length-not-a-number"),
        pytest.param(HEAD + b"Content-Length: -5\r\n\r\n", id="content-length-negative"),
        pytest.param(HEAD + b"X: " + b"a" * 200_000 + b"\r\n\r\n", id="header-line-200KB"),
        pytest.param(HEAD + b"X: y\r\n" * 1000 + b"\r\n", id="1000-headers"),
        pytest.param(
            HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + b"4000001\r\n" + b"x" * 70_000,
            id="chunks-past-the-body-cap",
        ),
        pytest.param(HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", id="bad-chunk-size"),
        pytest.param(
            HEAD + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(DEEP) + DEEP,
            id="json-nested-100k-deep",
        ),
    ],
)
def test_hostile_request_is_a_400_and_the_server_lives(request_bytes: bytes) -> None:
    with ScriptedServer.from_replies([Reply(text="hi")]) as srv:
        port = int(srv.base_url.rsplit(":", 1)[1].split("/")[0])
        assert _exchange(port, request_bytes).startswith(b"HTTP/1.1 400")
        ok = _exchange(port, HEAD + b"Content-Length: 2\r\nConnection: close\r\n\r\n{}")
        assert ok.startswith(b"HTTP/1.1 ")  # still answering (the reply itself is scripted)
