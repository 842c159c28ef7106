"""Serving the watch view to browsers with textual-serve.

textual-serve runs one process of the given command per browser connection, with Textual's web
driver, and relays it over a websocket. The command is `gameday watch ...` run by this same
Python, its arguments quoted by the one quoting function (the server hands it to a shell).
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Sequence
from typing import Any

from textual_serve.server import Server

from gameday.core.shell import render
from gameday.errors import GamedayError


class ServeError(GamedayError):
    title = "Cannot serve the watch view"


class WatchServer(Server):
    """textual-serve's server, saying where it listens in gameday's words, logging quietly."""

    def initialize_logging(self) -> None:
        import logging

        logging.getLogger("textual-serve").setLevel(logging.WARNING)

    async def on_startup(self, app: Any) -> None:
        # Through a tunnel the browser reaches the address the server listens on, as seen
        # from this machine: loopback when it listens everywhere.
        host = self.host if self.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
        print(f"gameday: serving the watch view on {self.public_url} (ctrl+c to stop)", flush=True)
        print(
            f"gameday: from another machine: ssh -L {self.port}:{host}:{self.port} <this machine>, "
            f"then open http://127.0.0.1:{self.port}",
            flush=True,
        )


def watch_command(arguments: Sequence[str]) -> str:
    """The shell line that starts one watch view (for one browser tab)."""
    return render((sys.executable, "-m", "gameday.cli", *arguments))


def serve_watch(
    arguments: Sequence[str], *, host: str, port: int, public_url: str | None = None
) -> None:
    """Serve `gameday watch <arguments>` on host:port until SIGINT or SIGTERM.

    Raises ServeError when the address cannot be listened on (in use, not this machine's).
    """
    _check_free(host, port)
    server = WatchServer(
        watch_command(arguments), host=host, port=port, title="gameday watch", public_url=public_url
    )
    try:
        server.serve()
    except OSError as exc:  # taken between the check and the server's own bind
        raise ServeError(f"{host}:{port}: {exc.strerror or exc}") from None


def _check_free(host: str, port: int) -> None:
    """Bind and release the address first, so a port in use is said before "serving on"."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        raise ServeError(f"{host}:{port}: {exc.strerror or exc}") from None
