"""A loopback HTTP(S) server for source tests that never writes to stderr.

Handlers of slow endpoints can outlive their test (the server is shut down, the client went
away); socketserver would then print the broken pipe into whatever test captures stderr next.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler for tests: no access log, and one way to answer."""

    def reply(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def drip(self, chunks: int, every: float) -> None:
        """Announce a longer body than is sent, a byte per `every` seconds: each read is fast,
        the whole answer is slow."""
        self.send_response(200)
        self.send_header("Content-Length", str(chunks * 4))
        self.end_headers()
        for _ in range(chunks):
            self.wfile.write(b" ")
            self.wfile.flush()
            time.sleep(every)

    def log_message(self, format: str, *args: object) -> None:
        return


class QuietHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that left early is expected here, not an error worth printing."""


@contextmanager
def serving(
    handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None = None
) -> Iterator[str]:
    """Serve `handler` on 127.0.0.1 in a thread; yields the base URL; always shuts down."""
    httpd = QuietHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if tls is not None else "http"
    try:
        yield f"{scheme}://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
