"""Helpers for the `gameday watch --web` tests: start the server, read what a browser tab gets.

Everything stays on 127.0.0.1: the server listens there, the page and the websocket are
fetched from there.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp

GAMEDAY = [sys.executable, "-m", "gameday.cli"]
ANSI = re.compile(rb"\x1b\[[0-9;?$]*[A-Za-z]|\x1b\][^\x07]*\x07")
START_WAIT = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def web_watch(*arguments: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """`gameday watch --web` on a free port of 127.0.0.1, stopped (SIGTERM, then killed)."""
    port = free_port()
    server = subprocess.Popen(
        [*GAMEDAY, "watch", "--web", "--port", str(port), *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_listening(port, server)
        yield server, port
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def _wait_listening(port: int, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + START_WAIT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(
                f"the server stopped: {server.stdout.read() if server.stdout else ''}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {START_WAIT:g}s")


async def fetch_page(port: int) -> tuple[int, str]:
    """The page a browser loads first: (HTTP status, HTML)."""
    timeout = aiohttp.ClientTimeout(10)
    url = f"http://127.0.0.1:{port}/"
    async with aiohttp.ClientSession(timeout=timeout) as client, client.get(url) as response:
        return response.status, await response.text()


async def screen_text(port: int, wanted: str, limit: float = 30.0) -> str:
    """Open the app's websocket as a browser tab does; return the text it drew (escape codes
    removed) once `wanted` appears in it, or all of it after `limit` seconds."""
    url = f"ws://127.0.0.1:{port}/ws?width=140&height=40"
    drawn = b""
    async with aiohttp.ClientSession() as client, client.ws_connect(url) as ws:
        await ws.send_str(json.dumps(["resize", {"width": 140, "height": 40}]))
        try:
            async with asyncio.timeout(limit):
                async for message in ws:
                    if message.type == aiohttp.WSMsgType.BINARY:
                        drawn += message.data
                        if wanted.encode() in ANSI.sub(b"", drawn):
                            break
        except TimeoutError:
            pass
    return ANSI.sub(b"", drawn).decode("utf-8", "replace")


def listening_addresses(pid: int, port: int) -> set[str]:
    import psutil

    return {
        c.laddr.ip
        for c in psutil.Process(pid).net_connections(kind="tcp")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port
    }
