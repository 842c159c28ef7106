"""`gameday watch`: the read-only view follows a journal while it is written, from the file alone.

The journal is written here line by line with the real `JournalWriter` (as a session would),
or by a real demo session in the console (the engine, on the simulated fleet), while the watch
app follows it through Pilot.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Static

from gameday.core.session import events as ev
from gameday.core.session.journal import JournalWriter
from gameday.ui.app import GamedayApp
from gameday.ui.screens.watch import WatchScreen, WatchTarget
from gameday.ui.watch_app import WatchApp, make_watch_app
from gameday.ui.widgets.gauge import ProbeGauge
from gameday.ui.widgets.hosts import HostsTable
from gameday.ui.widgets.status import AlarmBanner
from gameday.ui.widgets.timeline import Timeline
from tests.ui.conftest import WAIT, in_loop, start, text_of, until

STARTED = ev.SessionStarted(
    session_id="s1",
    scenario_id="web-cpu",
    scenario_title="Web survives CPU pressure",
    scenario_file="scenarios/web-cpu.yaml",
    scenario_sha256="ab" * 32,
    hypothesis="p99 stays under 300 ms",
    inventory_file="inventory.yaml",
    scenario={
        "faults": [{"kind": "cpu_stress", "load": 80}],
        "steady_state": {"probes": [{"name": "p99", "query": "q", "max": 300.0, "unit": "ms"}]},
        "schedule": {"duration": 60.0},
    },
)
PLAN = ev.PlanMade(
    targets=("web-1", "web-2"),
    spared={},
    waves=(("web-1", "web-2"),),
    faults={"web-1": ("f0-aaaa",), "web-2": ("f0-bbbb",)},
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _watch(
    journal: Path | None = None, directory: Path | None = None, now: Clock | None = None
) -> WatchApp:
    return make_watch_app(WatchTarget(journal, directory), poll=0.02, now=now or Clock())


def _screen(app: WatchApp) -> WatchScreen:
    screen = app.screen
    assert isinstance(screen, WatchScreen)
    return screen


def _status(app: WatchApp) -> str:
    return text_of(app.screen.query_one("#status", Static), width=200)


@in_loop
async def test_the_view_follows_a_journal_as_it_is_written(tmp_path: Path) -> None:
    clock = Clock()
    writer = JournalWriter(tmp_path / "s1.jsonl", clock=clock)
    for event in (STARTED, PLAN, ev.PhaseChanged(phase="inject")):
        writer.append(event)
    app = _watch(tmp_path / "s1.jsonl", now=clock)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: app.screen.query(HostsTable), "the hosts table")
        screen = _screen(app)
        hosts = screen.query_one(HostsTable)
        assert hosts.statuses == {"web-1/f0-aaaa": "planned", "web-2/f0-bbbb": "planned"}
        writer.append(
            ev.FaultArmed(host="web-1", fault_id="f0-aaaa", kind="cpu_stress", deadline=1)
        )
        writer.append(ev.FaultInjected(host="web-1", fault_id="f0-aaaa", kind="cpu_stress"))
        writer.append(ev.PhaseChanged(phase="monitor"))
        await until(pilot, lambda: "MONITOR · wave 1/1" in _status(app), "the monitor")
        assert hosts.status_of("web-1", "f0-aaaa") == "injected"
        hint = text_of(screen.query_one("#stop-hint", Static), width=200)
        assert "gameday abort" in hint and "s1.jsonl" in hint
        assert "01:00 left" in _status(app)
        clock.now += 15  # the watcher's clock: 15 s later, no new line yet
        await until(pilot, lambda: "00:45 left" in _status(app), "the time going down")
        writer.append(ev.ProbeSampled(probe="p99", value=420.0, ok=False))
        writer.append(ev.ThresholdCrossed(probe="p99", value=420, bound=300, direction="above"))
        gauge = screen.query_one(ProbeGauge)
        await until(pilot, lambda: "steady state BREACHED" in _status(app), "the breach")
        assert gauge.state == "breached"
        writer.append(ev.AbortTriggered(rule="p99 above 300 for 1", reason="420 ms"))
        writer.append(ev.FaultReverted(host="web-1", fault_id="f0-aaaa", verified=False))
        await until(pilot, lambda: len(screen.state.alarms) == 2, "the alarms")
        banner = screen.query_one(AlarmBanner)
        assert "REVERT UNCONFIRMED" in text_of(banner, width=200)  # the newest, severe
        assert "ABORT RULE FIRED" in {a.title for a in screen.state.alarms.values()}
        assert hosts.status_of("web-1", "f0-aaaa") == "UNCONFIRMED"
        await pilot.press("escape")  # acknowledged here: the next one waiting shows
        assert "ABORT RULE FIRED" in text_of(banner, width=200)
        writer.append(ev.VerdictReached(verdict="revert_unconfirmed", reason="web-1"))
        writer.append(ev.SessionEnded())
        await until(pilot, lambda: screen.state.ended_at is not None, "the end")
        verdict = text_of(screen.query_one("#verdict", Static), width=200)
        assert "VERDICT: REVERT UNCONFIRMED — web-1" in verdict
        assert "DONE" in _status(app)
        assert "ended" in text_of(screen.query_one("#stop-hint", Static), width=200)
        entries = screen.query_one(Timeline).entries
        assert any("ABORT" in line for line in entries) and "session ended" in entries[-1]
        assert not app.screen.query("#note")  # nothing to type: the view only reads
    writer.close()


@in_loop
async def test_a_torn_line_waits_and_a_bad_line_is_said_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "s1.jsonl"
    writer = JournalWriter(path, clock=Clock())
    writer.append(STARTED)
    writer.close()
    with path.open("ab") as f:
        f.write(b"garbage\n" + b'{"type":"plan_made","seq":3,"ts":1000.0,"targets":["web-1"],')
    app = _watch(path)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: _screen(app).problems, "the bad line said")
        screen = _screen(app)
        assert screen.problems == [screen.problems[0]] and "line 2" in screen.problems[0]
        assert not screen.query(HostsTable)
        with path.open("ab") as f:
            f.write(b'"spared":{},"waves":[["web-1"]],"faults":{"web-1":["f0-a"]}}\n')
        await until(pilot, lambda: screen.query(HostsTable), "the line, once complete")
        assert screen.query_one(HostsTable).statuses == {"web-1/f0-a": "planned"}


@in_loop
async def test_a_directory_view_moves_to_the_next_session_when_it_starts(tmp_path: Path) -> None:
    ended = JournalWriter(tmp_path / "a.jsonl", clock=Clock())
    for event in (STARTED, PLAN, ev.VerdictReached(verdict="held"), ev.SessionEnded()):
        ended.append(event)
    ended.close()
    app = _watch(directory=tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: "waiting for a session" in _status(app), "the wait")
        assert _screen(app).path is None
        second = JournalWriter(tmp_path / "b.jsonl", clock=Clock())
        second.append(STARTED)
        await until(pilot, lambda: _screen(app).path == tmp_path / "b.jsonl", "the switch")
        await until(pilot, lambda: "Web survives" in _status(app), "the new session")
        third = JournalWriter(tmp_path / "c.jsonl", clock=Clock())
        third.append(STARTED)
        third.append(PLAN)
        await until(pilot, lambda: _screen(app).path == tmp_path / "c.jsonl", "the next switch")
        await until(pilot, lambda: _screen(app).query(HostsTable), "its hosts")
        assert len(_screen(app).query(HostsTable)) == 1
        assert len(_screen(app).query(ProbeGauge)) == 1
        second.close()
        third.close()


@in_loop
async def test_a_demo_session_in_the_console_is_watched_to_its_verdict(
    fast: Callable[..., GamedayApp], tmp_path: Path
) -> None:
    console = fast(speed=4.0)  # slow enough that the session still runs when the view starts
    async with console.run_test(size=(140, 40)) as console_pilot:
        await start(console_pilot, "web-cpu")
        runner = console.runner
        assert runner is not None
        await until(console_pilot, lambda: runner.journal_path is not None, "the journal")
        watch = _watch(directory=tmp_path)
        async with watch.run_test(size=(140, 40)) as pilot:
            await until(pilot, lambda: _screen(watch).path == runner.journal_path, "the session")
            await until(console_pilot, lambda: runner.ended, "the console's session to end")
            screen = _screen(watch)
            await until(pilot, lambda: screen.state.ended_at is not None, "the end, watched")
            session = console.session_screen
            assert session is not None
            watched = screen.query_one(HostsTable).statuses
            assert watched == session.query_one(HostsTable).statuses
            # The same lines (the console's may swap two hosts' events of the same instant).
            watched_lines = screen.query_one(Timeline).entries
            assert sorted(watched_lines) == sorted(session.query_one(Timeline).entries)
            assert screen.verdict == session.verdict


def test_the_watch_view_loads_no_ssh_or_metrics_client() -> None:
    code = (
        "import sys, gameday.commands.watch, gameday.ui.watch_app; "
        "bad = [m for m in ('paramiko', 'prometheus_api_client', 'psutil', 'requests') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=WAIT, check=True
    )
    assert out.stdout.strip() == "[]"
