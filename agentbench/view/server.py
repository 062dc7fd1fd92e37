"""Serve the viewer's pages on 127.0.0.1 from a fixed pool of threads.

A fixed pool (not a thread per request) keeps the number of SQLite connections bounded:
the run store keeps one reader per thread. HTTP/1.0 closes each connection after its
response. A connection that sends nothing within the idle timeout is dropped, and one whose
request line and headers are not all in within the head deadline is cut, however slowly
it drips bytes: idle, half-open or slow-drip clients (a browser's speculative preconnects,
a port scanner, a slowloris) hold a worker for seconds at most, never forever.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from agentbench.errors import EnvironmentProblem
from agentbench.logging import get_logger
from agentbench.view.site import Page, Site

log = get_logger(__name__)

HOST = "127.0.0.1"  # never other hosts: the pages show prompts, code and costs
IDLE_TIMEOUT_S = 5.0  # a connection that sends nothing for this long is closed
HEAD_DEADLINE_S = 10.0  # the whole request head must arrive within this long


def _cut(conn: socket.socket) -> None:
    """Unblock a worker stuck reading a slow request head: its next read sees EOF."""
    with contextlib.suppress(OSError):  # already closed by the worker
        conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    server: ViewServer
    protocol_version = "HTTP/1.0"

    def parse_request(self) -> bool:
        """Parse the request line and headers; the head deadline stops counting here."""
        ok = super().parse_request()
        self.server.head_read()
        return ok

    def do_GET(self) -> None:
        self._respond(body=True)

    def do_HEAD(self) -> None:
        self._respond(body=False)

    def _respond(self, body: bool) -> None:
        host = self.headers.get("Host")
        if host is not None and host not in self.server.hosts:
            # another name resolving to 127.0.0.1 (DNS rebinding) must not read the pages
            page = Page(421, b"misdirected request: use http://127.0.0.1", "text/plain")
        else:
            page = self.server.site.render(unquote(urlsplit(self.path).path))
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(page.body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(page.body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("view_request", line=format % args)


class ViewServer(HTTPServer):
    """HTTP server over a Site; requests run on a bounded thread pool."""

    def __init__(
        self, site: Site, port: int = 0, workers: int = 8, idle_timeout_s: float = IDLE_TIMEOUT_S
    ) -> None:
        self.site = site
        self.idle_timeout_s = idle_timeout_s
        self.head_deadline_s = HEAD_DEADLINE_S
        self._timers = threading.local()  # the head deadline of the connection this thread serves
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="view")
        try:
            super().__init__((HOST, port), _Handler)
        except OSError as exc:
            self._pool.shutdown()
            raise EnvironmentProblem(
                f"cannot listen on {HOST}:{port} ({exc.strerror})",
                field="--port",
                fix="pick another port, or 0 for any free one",
            ) from None
        self._thread: threading.Thread | None = None
        port_ = self.server_address[1]
        self.hosts = frozenset({f"{HOST}:{port_}", f"localhost:{port_}"})

    @property
    def url(self) -> str:
        """Base URL of the viewer."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"

    def process_request(self, request: socket.socket | Any, client_address: Any) -> None:
        """Hand the connection to the pool."""
        self._pool.submit(self._work, request, client_address)

    def _work(self, request: Any, client_address: Any) -> None:
        # a per-read timeout alone lets a client sending a byte every few seconds hold the
        # worker forever: the timer cuts the connection if the head is not in by the deadline
        timer = threading.Timer(self.head_deadline_s, _cut, (request,))
        timer.daemon = True
        self._timers.timer = timer
        timer.start()
        try:
            # every read and write of this connection: a silent client times out, freeing the worker
            request.settimeout(self.idle_timeout_s)
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            timer.cancel()
            self.shutdown_request(request)

    def head_read(self) -> None:
        """The connection this thread serves has sent its whole head: no deadline any more."""
        timer: threading.Timer | None = getattr(self._timers, "timer", None)
        if timer is not None:
            timer.cancel()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log (never print) a failed connection; broken pipes from closed tabs are routine."""
        log.warning("view_connection_failed", client=str(client_address), exc_info=True)

    def start(self) -> ViewServer:
        """Serve in a background thread (tests, benchmarks); returns self."""
        self._thread = threading.Thread(target=self.serve_forever, name="view-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, finish requests in flight, close the socket."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        self.server_close()
        self._pool.shutdown(wait=True)
