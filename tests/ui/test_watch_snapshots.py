"""Snapshots of the watch view (mid-session, with a breach; wide and at 80x24) and of the
console's history screen, from journals written here with fixed times and relative paths.

Update after an intended change: `pytest tests/ui/test_watch_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from textual.pilot import Pilot

from gameday.app.demo import DemoBackend, DemoOptions
from gameday.core.session import events as ev
from gameday.core.session.journal import JournalWriter
from gameday.demo.clock import SteppingClock
from gameday.ui.app import make_app
from gameday.ui.screens.history import HistoryScreen
from gameday.ui.screens.watch import WatchScreen, WatchTarget
from gameday.ui.watch_app import make_watch_app
from gameday.ui.widgets.hosts import HostsTable
from tests.ui.conftest import SnapCompare, until
from tests.ui.test_watch import PLAN, STARTED

T0 = 1795770000.0
"""2026-11-27 05:40 UTC: every line of these journals is stamped from here, a second apart."""


def _write(path: Path, events: list[ev.Event]) -> None:
    clock: Iterator[float] = (T0 + n for n in range(10_000))
    writer = JournalWriter(path, clock=clock.__next__)
    for event in events:
        writer.append(event)
    writer.close()


MID_SESSION: list[ev.Event] = [
    STARTED,
    PLAN,
    ev.PhaseChanged(phase="baseline"),
    *[ev.ProbeSampled(probe="p99", value=v, ok=True, phase="baseline") for v in (118, 121, 119)],
    ev.PhaseChanged(phase="inject"),
    ev.FaultArmed(host="web-1", fault_id="f0-aaaa", kind="cpu_stress", deadline=T0 + 90),
    ev.FaultInjected(host="web-1", fault_id="f0-aaaa", kind="cpu_stress", summary="80% CPU"),
    ev.FaultArmed(host="web-2", fault_id="f0-bbbb", kind="cpu_stress", deadline=T0 + 90),
    ev.FaultInjected(host="web-2", fault_id="f0-bbbb", kind="cpu_stress", summary="80% CPU"),
    ev.PhaseChanged(phase="monitor"),
    *[ev.ProbeSampled(probe="p99", value=v, ok=v <= 300) for v in (180, 260, 340, 410)],
    ev.ThresholdCrossed(probe="p99", value=340, bound=300, direction="above"),
    ev.NoteAdded(actor="alice", text="checkout feels slow", tag="impact"),
]


@pytest.fixture
def journals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # paths on screen are relative: the same on every machine
    folder = Path("journals")
    folder.mkdir()
    return folder


def _watch_ready(length: int) -> object:
    async def ready(pilot: Pilot[int]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, WatchScreen)
        await until(pilot, lambda: screen.state.last_seq == length, "every line")
        await until(pilot, lambda: screen.query(HostsTable), "the hosts")
        await pilot.pause(0.3)

    return ready


@pytest.mark.parametrize("size", [(160, 48), (80, 24)], ids=["160x48", "80x24"])
def test_watch_view_mid_session(
    snap_compare: SnapCompare, journals: Path, size: tuple[int, int]
) -> None:
    _write(journals / "s1.jsonl", MID_SESSION)
    app = make_watch_app(WatchTarget(journal=journals / "s1.jsonl"), now=lambda: T0 + 20)
    assert snap_compare(app, terminal_size=size, run_before=_watch_ready(len(MID_SESSION)))


def test_history_screen(snap_compare: SnapCompare, journals: Path) -> None:
    _write(journals / "a.jsonl", [replace(STARTED, session_id="a"), PLAN])
    ended = [replace(STARTED, session_id="b"), *MID_SESSION[1:]]
    ended += [ev.VerdictReached(verdict="deviated", reason="p99"), ev.SessionEnded()]
    _write(journals / "b.jsonl", ended)
    (journals / "c.jsonl").write_text("not json\n{}\n", encoding="utf-8")
    backend = DemoBackend(DemoOptions(clock=SteppingClock(), journal_dir=journals))
    app = make_app(backend)

    async def ready(pilot: Pilot[int]) -> None:
        await pilot.app.push_screen(HistoryScreen(backend))
        screen = pilot.app.screen
        assert isinstance(screen, HistoryScreen)
        await until(pilot, lambda: len(screen.sessions) == 3, "the sessions")
        await pilot.press("down")
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(120, 30), run_before=ready)
