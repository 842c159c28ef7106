"""`gameday watch --web`: the same view served to browsers (textual-serve), on localhost.

The real command runs in a subprocess; the page is fetched over HTTP and the app's websocket
opened as a browser tab would, all on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
from pathlib import Path

import pytest

from gameday.core.session.journal import JournalWriter
from tests.ui.browser import CHROMIUM, open_in_chromium
from tests.ui.test_watch import PLAN, STARTED
from tests.ui.web_watch import GAMEDAY, fetch_page, listening_addresses, screen_text, web_watch

pytestmark = pytest.mark.slow  # a server and its tabs are subprocesses


def test_the_page_loads_and_each_tab_runs_the_watch_view(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path / "s1.jsonl", clock=lambda: 1000.0)
    writer.append(STARTED)
    writer.append(PLAN)
    writer.close()
    with web_watch("--journal-dir", str(tmp_path)) as (server, port):
        status, page = asyncio.run(fetch_page(port))
        assert status == 200
        assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in page
        assert "gameday watch" in page
        assert listening_addresses(server.pid, port) == {"127.0.0.1"}
        drawn = asyncio.run(screen_text(port, "Web survives CPU pressure"))
        assert "Web survives CPU pressure" in drawn
        assert "gameday abort" in asyncio.run(screen_text(port, "gameday abort"))
    assert server.stdout is not None
    said = server.stdout.read()
    assert f"serving the watch view on http://127.0.0.1:{port}" in said
    assert f"ssh -L {port}:127.0.0.1:{port}" in said


def _gameday(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GAMEDAY, *argv], capture_output=True, text=True, timeout=30, check=False, env=env
    )


def test_bad_arguments_are_said_with_exit_2(tmp_path: Path) -> None:
    missing = _gameday("watch", "--journal-dir", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert "no such journal directory" in missing.stderr and "Traceback" not in missing.stderr
    port = _gameday("watch", "--web", "--port", "70000", "--journal-dir", str(tmp_path))
    assert port.returncode == 2 and "expected a port from 1 to 65535" in port.stderr
    both = _gameday("watch", str(tmp_path / "x.jsonl"), "--journal-dir", str(tmp_path))
    assert both.returncode == 2 and "not both" in both.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = str(taken.getsockname()[1])
        in_use = _gameday("watch", "--web", "--port", busy, "--journal-dir", str(tmp_path))
    assert in_use.returncode == 2
    assert f"Cannot serve the watch view: 127.0.0.1:{busy}: Address already in use" in (
        in_use.stderr
    )
    assert "serving" not in in_use.stdout
    no_terminal = _gameday("watch", "--journal-dir", str(tmp_path))
    assert no_terminal.returncode == 2 and "add --web" in no_terminal.stderr
    # The default folder may not exist yet (no session so far): not an error, it is waited for.
    fresh = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "fresh")}
    waiting = _gameday("watch", env=fresh)
    assert waiting.returncode == 2 and "add --web" in waiting.stderr
    assert not (tmp_path / "fresh").exists()


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_a_headless_browser_shows_the_view(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path / "s1.jsonl", clock=lambda: 1000.0)
    writer.append(STARTED)
    writer.close()
    with web_watch(str(tmp_path / "s1.jsonl")) as (_, port):
        streamed = open_in_chromium(
            f"http://127.0.0.1:{port}/",
            "document.body.classList.contains('-first-byte')",
            tmp_path / "watch.png",
        )
    assert streamed, "the page never received the app's first byte over its websocket"
    assert (tmp_path / "watch.png").stat().st_size > 10_000
