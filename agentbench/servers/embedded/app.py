"""The embedded server's child process: llama_cpp.server with our tool-call chat handler.

`python -m agentbench.servers.embedded.app <llama_cpp.server args>` (LocalServer runs it)
registers the handler (tools.py) and wraps the app in NullContentFix, which turns the
`content: null` the OpenAI clients send beside tool calls into "" (the server wants a string).
"""

from __future__ import annotations

import json
from typing import Any

from agentbench.servers.embedded.backends import load_cpu_backends
from agentbench.servers.embedded.tools import register


def null_content_to_empty(body: bytes) -> bytes:
    """A chat request body with `content: null` on assistant messages made "" (else as is)."""
    try:
        req = json.loads(body)
    except ValueError:
        return body  # the server reports its own error
    msgs = req.get("messages") if isinstance(req, dict) else None
    fixed = False
    for m in msgs if isinstance(msgs, list) else []:
        if isinstance(m, dict) and m.get("role") == "assistant" and m.get("content", "") is None:
            m["content"] = ""
            fixed = True
    return json.dumps(req).encode() if fixed else body


class NullContentFix:
    """ASGI middleware applying null_content_to_empty to POST .../chat/completions bodies."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Buffer the request body, fix it, and hand the app the fixed body."""
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].endswith("/chat/completions")
        ):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            msg = await receive()
            if msg["type"] != "http.request":  # the client went away: nothing to answer
                return
            chunks.append(msg.get("body", b""))
            if not msg.get("more_body", False):
                break
        body = null_content_to_empty(b"".join(chunks))
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        pending = [{"type": "http.request", "body": body, "more_body": False}]

        async def replay() -> Any:
            # later calls (disconnect checks while streaming) go to the real channel
            return pending.pop() if pending else await receive()

        await self.app({**scope, "headers": headers}, replay, send)


def main() -> None:
    """Run llama_cpp.server with the handler registered and NullContentFix (same arguments)."""
    load_cpu_backends()  # before llama_cpp loads a model: our build keeps each CPU variant apart
    from llama_cpp.server import __main__ as server

    register()
    make_app = server.create_app
    # the stock entry point builds the app from its arguments; wrap what it builds
    server.create_app = lambda **kw: NullContentFix(make_app(**kw))  # type: ignore[assignment]
    server.main()


if __name__ == "__main__":
    main()
