"""A headless Chromium driven over its DevTools protocol (on 127.0.0.1), for one browser check
of `gameday watch --web`. Every name it resolves other than 127.0.0.1 fails on purpose: the test
sends no traffic off this machine (the page asks for a web font, which it does without)."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        number = next(self.ids)
        await self.ws.send_str(json.dumps({"id": number, "method": method, "params": params}))
        async for message in self.ws:
            body = json.loads(message.data)
            if body.get("id") == number:
                if "error" in body:
                    raise AssertionError(f"{method}: {body['error']}")
                return dict(body.get("result", {}))
        raise AssertionError(f"{method}: the browser closed the connection")

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")


def open_in_chromium(url: str, ready: str, screenshot: Path, limit: float = 30.0) -> Any:
    """Load `url`, wait until the JS expression `ready` is true (bounded), save a screenshot,
    return the value of `ready`."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory(prefix="gameday-chromium-") as profile:
        port_file = Path(profile) / "DevToolsActivePort"
        process = subprocess.Popen(
            [
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                f"--user-data-dir={profile}", "--window-size=1400,900",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            port = _devtools_port(port_file, limit)
            return asyncio.run(_drive(port, url, ready, screenshot, limit))
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _devtools_port(port_file: Path, limit: float) -> int:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if port_file.exists() and port_file.read_text().strip():
            return int(port_file.read_text().split()[0])
        time.sleep(0.05)
    raise AssertionError("Chromium did not open its DevTools port")


async def _drive(port: int, url: str, ready: str, screenshot: Path, limit: float) -> Any:
    async with aiohttp.ClientSession() as client:
        async with client.get(f"http://127.0.0.1:{port}/json/list") as response:
            pages = [p for p in await response.json() if p.get("type") == "page"]
        async with client.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            browser = Browser(ws)
            await browser.call("Page.enable")
            await browser.call("Page.navigate", url=url)
            value: Any = None
            deadline = time.monotonic() + limit
            while time.monotonic() < deadline:
                value = await browser.evaluate(ready)
                if value:
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(1.0)  # let the terminal draw what arrived
            shot = await browser.call("Page.captureScreenshot", format="png")
            screenshot.write_bytes(base64.b64decode(shot["data"]))
            return value
