"""A loopback HTTP server for source tests that never writes to stderr.

Handlers of slow endpoints can outlive their test (the server is shut down, the client went
away); socketserver would then print the broken pipe into whatever test captures stderr next.
"""

from __future__ import annotations

from http.server import ThreadingHTTPServer
from typing import Any


class QuietHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that left early is expected here, not an error worth printing."""
