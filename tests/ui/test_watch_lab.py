"""`gameday watch` against a real session: `gameday run --headless` on the lab's hosts over SSH
writes its journal while the watch view follows it, in a terminal (Pilot) and in a browser's
websocket (`--web`, fetched from 127.0.0.1).

Starts its own two-host lab (network namespaces, sshd, stress-ng; root only).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from gameday import lab as gdlab
from gameday.core.session.journal import read_journal
from gameday.core.session.state import replay
from gameday.core.wording import verdict_word
from gameday.lab import LabConfig, LabInfo
from gameday.ui.screens.watch import WatchScreen, WatchTarget
from gameday.ui.watch_app import make_watch_app
from gameday.ui.widgets.hosts import HostsTable, status_word
from gameday.ui.widgets.timeline import Timeline
from tests.ui.conftest import in_loop, until
from tests.ui.web_watch import GAMEDAY, fetch_page, free_port, screen_text, web_watch

pytestmark = [pytest.mark.lab, pytest.mark.slow]

LAB_ROOT = Path("/var/lib/gameday-lab")  # outside /tmp, which every lab host hides
TITLE = "Two nodes under CPU pressure, watched from elsewhere"
SCENARIO = f"""
id: watch-lab-cpu
title: {TITLE}
hypothesis: n/a
targets: {{select: {{hosts: [lab-1, lab-2]}}}}
steady_state:
  interval: 1s
  probes:
    - name: load
      system: load
      max: 1000
faults:
  - kind: cpu_stress
    workers: 1
    load: 20
schedule: {{warmup: 1s, duration: 8s, cooldown: 1s}}
"""


@pytest.fixture(scope="module")
def lab() -> Iterator[LabInfo]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("the lab needs root and iproute2")
    LAB_ROOT.mkdir(mode=0o755, parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix="watch-", dir=LAB_ROOT))
    directory.chmod(0o755)
    config = LabConfig(
        name=f"gdw{os.getpid() % 100000}",
        dir=directory,
        hosts=2,
        prometheus_port=free_port(),
        loadgen_port=free_port(),
    )
    try:
        yield gdlab.up(config)
    finally:
        try:
            gdlab.down(directory)
        finally:
            shutil.rmtree(directory, ignore_errors=True)


@in_loop
async def test_a_real_session_is_watched_live_in_a_terminal_and_a_browser(
    lab: LabInfo, tmp_path: Path
) -> None:
    scenario = tmp_path / "cpu.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    journals = tmp_path / "journals"
    journals.mkdir()
    run = subprocess.Popen(
        [*GAMEDAY, "run", str(scenario), "-i", str(lab.inventory), "--headless", "--yes",
         "--journal-dir", str(journals)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        app = make_watch_app(WatchTarget(directory=journals), poll=0.05)
        with web_watch("--journal-dir", str(journals)) as (_, port):
            async with app.run_test(size=(160, 48)) as pilot:
                screen = app.screen
                assert isinstance(screen, WatchScreen)
                await until(pilot, lambda: screen.query(HostsTable), "the session's hosts")
                hosts = screen.query_one(HostsTable)
                await until(
                    pilot,
                    lambda: "injected" in hosts.statuses.values(),
                    "a fault injected, seen while the session runs",
                )
                assert run.poll() is None, "the session was still running"
                status, page = await fetch_page(port)
                assert status == 200 and "data-session-websocket-url" in page
                drawn = await screen_text(port, TITLE)
                assert TITLE in drawn, drawn[-2000:]
                assert "gameday abort" in await screen_text(port, "gameday abort")
                code = run.wait(timeout=120)
                await until(pilot, lambda: screen.state.ended_at is not None, "the end")
                journal = screen.path
                statuses = dict(hosts.statuses)
                verdict = screen.verdict
                entries = list(screen.query_one(Timeline).entries)
    finally:
        if run.poll() is None:  # never leave a fault behind: the session's own kill switch
            run.terminate()
            run.wait(timeout=120)
    output = run.stdout.read() if run.stdout else ""
    assert journal is not None
    state = replay(read_journal(journal).events)
    # What the view showed is what the journal says, whatever the run came to (a loaded
    # machine can make a lab host miss its lease, and the session then aborts).
    assert statuses == {f"{h}/{f}": status_word(s, state) for (h, f), s in state.faults.items()}
    assert state.verdict is not None, output
    assert verdict is not None and verdict.startswith(f"VERDICT: {verdict_word(state.verdict)}")
    assert entries[-1].endswith("session ended")
    if code == 0:  # the usual run: every fault reverted and verified, the hypothesis held
        assert set(statuses.values()) == {"reverted"} and state.verdict == "held"
