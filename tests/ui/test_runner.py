"""The session runner without a screen: the kill switch before the session exists, late notes."""

from __future__ import annotations

import threading
from pathlib import Path

from gameday.app.demo import DemoBackend, DemoOptions, demo_dir
from gameday.core.plan import Plan
from gameday.core.session import events as ev
from gameday.core.session.journal import read_journal
from gameday.demo.clock import SteppingClock
from gameday.ui.backend import OpenedSession
from gameday.ui.notes import NoteDraft
from gameday.ui.runner import SessionRunner

WEB_CPU = str(demo_dir() / "scenarios" / "web-cpu.yaml")


class SlowToOpen(DemoBackend):
    """Opening takes until `connected` is set, as connecting to a fleet over SSH does."""

    def __init__(self, options: DemoOptions) -> None:
        super().__init__(options)
        self.opening = threading.Event()
        self.connected = threading.Event()

    def open(self, plan: Plan) -> OpenedSession:
        self.opening.set()
        self.connected.wait(10)
        return super().open(plan)


def test_a_kill_switch_pulled_while_connecting_stops_the_session_before_any_fault(
    tmp_path: Path,
) -> None:
    backend = SlowToOpen(DemoOptions(clock=SteppingClock(), host_delay=0, journal_dir=tmp_path))
    runner = SessionRunner(backend, backend.plan(WEB_CPU))
    worker = threading.Thread(target=runner.run)
    worker.start()
    try:
        assert backend.opening.wait(10)
        runner.kill()  # returns at once: there is no session to revert yet
        assert runner.running
    finally:
        backend.connected.set()
        worker.join(10)
    assert runner.result is not None and runner.result.verdict == "aborted"
    assert runner.journal_path is not None
    events = read_journal(runner.journal_path).events
    assert not any(isinstance(e, ev.FaultArmed) for e in events)
    assert [e.source for e in events if isinstance(e, ev.KillSwitchPulled)] == ["keypress"]
    # nothing but the session's opening facts (journaled together) comes before the kill switch
    pulled = next(i for i, e in enumerate(events) if isinstance(e, ev.KillSwitchPulled))
    opening = (ev.SessionStarted, ev.ParticipantJoined, ev.PlanMade)
    assert isinstance(events[0], ev.SessionStarted)
    assert all(isinstance(e, opening) for e in events[:pulled])


def test_notes_after_the_verdict_are_appended_to_the_journal_in_order(tmp_path: Path) -> None:
    backend = DemoBackend(DemoOptions(clock=SteppingClock(), host_delay=0, journal_dir=tmp_path))
    runner = SessionRunner(backend, backend.plan(WEB_CPU))
    seen: list[ev.Event] = []
    runner.on_event = seen.append
    runner.run()
    runner.queue_note("alice", NoteDraft("traffic moved at once", "went_well"))
    runner.queue_note("bob", NoteDraft("add an alert", "action", "bob", "2026-12-04"))
    runner.write_queued_notes()
    assert runner.journal_path is not None
    notes = [e for e in read_journal(runner.journal_path).events if isinstance(e, ev.NoteAdded)]
    assert [(n.actor, n.tag, n.text) for n in notes] == [
        ("alice", "went_well", "traffic moved at once"),
        ("bob", "action", "add an alert"),
    ]
    assert seen[-2:] == notes, "late notes are shown on the screen too"
