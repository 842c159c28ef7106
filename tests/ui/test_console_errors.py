"""What the console says when things go wrong: bad files, unwritable folders, failed reverts,
probes without data. Always a sentence on the screen, never a traceback, never a hang."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.widgets import Input, OptionList, Static

from gameday.app.demo import DemoBackend, DemoOptions
from gameday.app.live_backend import LiveBackend
from gameday.core.session import events as ev
from gameday.demo.clock import SteppingClock
from gameday.engine.ports import Outcome
from gameday.ui.app import GamedayApp, make_app
from gameday.ui.screens.findings import FindingsScreen
from gameday.ui.screens.plan import PlanScreen
from gameday.ui.screens.session import SessionScreen
from gameday.ui.widgets.gauge import ProbeGauge
from gameday.ui.widgets.hosts import HostsTable
from gameday.ui.widgets.timeline import Timeline
from tests.ui.conftest import (
    burst,
    choose,
    demo,
    in_loop,
    session,
    start_dialog,
    text_of,
    until,
    verdict_of,
)

SIZE = (140, 48)
INVENTORY = """
hosts:
  web-1: {address: 127.0.0.1, tags: {role: web}}
  db-1: {address: 127.0.0.2, tags: {role: db}}
protected: [db-1]
"""
GOOD = """
id: web-cpu
title: Web CPU
targets: {select: {tags: {role: web}}}
steady_state: {probes: [{name: load, system: load, max: 100}]}
faults: [{kind: cpu_stress}]
schedule: {duration: 10s}
"""
NO_TARGET = GOOD.replace("id: web-cpu", "id: db-only").replace("role: web", "role: db")
BROKEN = "id: broken\ntargets: {select: all}\nfaults: [{kind: cpu_stres}]\n"


def live(tmp_path: Path) -> LiveBackend:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (tmp_path / "inventory.yaml").write_text(INVENTORY, encoding="utf-8")
    (folder / "inventory.yaml").write_text(INVENTORY, encoding="utf-8")
    (folder / "a-good.yaml").write_text(GOOD, encoding="utf-8")
    (folder / "b-no-target.yaml").write_text(NO_TARGET, encoding="utf-8")
    (folder / "c-broken.yaml").write_text(BROKEN, encoding="utf-8")
    return LiveBackend(
        inventory=tmp_path / "inventory.yaml", scenario_dir=folder, journal_dir=tmp_path / "j"
    )


def test_the_live_backend_lists_scenarios_skips_inventories_and_says_what_is_broken(
    tmp_path: Path,
) -> None:
    choices = live(tmp_path).scenarios()
    assert [c.scenario_id for c in choices] == ["web-cpu", "db-only", "c-broken"]
    assert "cpu_stres" in choices[2].problem and not choices[0].problem


@in_loop
async def test_a_scenario_that_cannot_be_planned_says_why_and_cannot_start(
    tmp_path: Path,
) -> None:
    app = make_app(live(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await choose(pilot, "b-no-target")
        shown = text_of(screen.query_one("#plan", Static))
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, PlanScreen), "no dialog for a plan that does not exist"
        await choose(pilot, "c-broken")
        broken = text_of(screen.query_one("#plan", Static))
        options = screen.query_one("#scenarios", OptionList)
        listed = str(options.get_option_at_index(2).prompt)
    assert "This scenario cannot run" in shown and "no host" in shown
    assert "cpu_stres" in broken and "did you mean cpu_stress" in broken
    assert "invalid:" in listed


@in_loop
async def test_an_unwritable_journal_folder_stops_the_session_with_a_sentence(
    tmp_path: Path,
) -> None:
    app, notes = _unopenable(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await session(pilot, "web-cpu")
        verdict = await verdict_of(pilot, screen, "the session to stop")
    assert verdict.startswith("NOT STARTED — the session stopped: Cannot open the session")
    assert "not-a-folder" in verdict
    assert any(title == "Cannot open the session" for title, _ in notes)
    assert not demo(app).fleets, "nothing was opened, so nothing was touched"


@in_loop
async def test_a_revert_that_cannot_be_verified_is_shown_as_unconfirmed(
    instant: Callable[..., GamedayApp],
) -> None:
    app = instant()
    backend = demo(app)
    opened = backend.open

    def open_with_a_stuck_host(plan: Any) -> Any:
        stuck = opened(plan)
        host = backend.hosts[-1]["api-2"]
        host.revert = lambda plan: Outcome(False, "rule still present after revert")  # type: ignore[method-assign]
        return stuck

    backend.open = open_with_a_stuck_host  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        screen = await session(pilot, "api-partition")
        verdict = await verdict_of(pilot, screen)
        hosts = screen.query_one(HostsTable)
        statuses = {key.split("/")[0]: status for key, status in hosts.statuses.items()}
    assert statuses == {"api-1": "reverted", "api-2": "UNCONFIRMED"}
    assert verdict.startswith("VERDICT: REVERT UNCONFIRMED — revert not confirmed on api-2")


@in_loop
async def test_a_probe_without_data_says_no_data_and_why(
    instant: Callable[..., GamedayApp],
) -> None:
    app = instant()
    async with app.run_test(size=SIZE) as pilot:
        screen = await session(pilot, "api-process-kill")
        await verdict_of(pilot, screen)
        screen.post_event(
            ev.ProbeSampled(probe="queue_depth", value=None, ok=None, detail="scrape timed out")
        )
        await pilot.pause()
        gauge = screen.query_one("#gauge-queue_depth", ProbeGauge)
        line = gauge.render().plain.splitlines()[0]
    assert gauge.state == "nodata"
    assert "NO DATA (scrape timed out)" in line
    assert "jobs" not in line.split("baseline")[0], "no stale number is shown"


@in_loop
async def test_an_unreadable_journal_is_said_on_the_findings_screen(tmp_path: Path) -> None:
    journal = tmp_path / "broken.jsonl"
    journal.write_text('{"type": "session_started"\nnot json\n{}\n', encoding="utf-8")

    class Only(App[None]):
        def on_mount(self) -> None:
            self.push_screen(FindingsScreen(journal, tmp_path))

    app = Only()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, FindingsScreen)
        label = screen.query_one("#findings-verdict", Static)
        await until(pilot, lambda: "UNKNOWN" in text_of(label), "the error")
        await pilot.press("e")
        await pilot.pause()
        shown = text_of(label)
    assert "broken.jsonl" in shown
    assert not (tmp_path / "broken.findings.md").exists(), "nothing to export"


@in_loop
async def test_a_burst_of_events_from_an_engine_thread_is_shown_whole_and_in_order(
    instant: Callable[..., GamedayApp],
) -> None:
    app = instant()
    async with app.run_test(size=SIZE) as pilot:
        screen = await session(pilot, "api-process-kill")
        await verdict_of(pilot, screen)
        burst = [
            *(ev.ProbeSampled(probe="queue_depth", value=float(v), ok=True) for v in (7, 8, 9)),
            ev.NoteAdded(actor="dana", text="burst seen"),
        ]

        def send() -> None:
            for event in burst:
                screen.post_event(event)

        sender = threading.Thread(target=send)
        sender.start()
        sender.join(timeout=5)
        timeline = screen.query_one(Timeline)
        await until(pilot, lambda: any("burst seen" in e for e in timeline.entries), "the note")
        kept = [s.value for s in screen.state.samples["queue_depth"]]
        gauge = screen.query_one("#gauge-queue_depth", ProbeGauge)
        line = gauge.render().plain.splitlines()[0]
    assert kept[-3:] == [7.0, 8.0, 9.0]
    assert "9" in line


@in_loop
async def test_notes_written_as_a_session_that_cannot_open_starts_are_shown_not_lost(
    tmp_path: Path,
) -> None:
    """A note typed right after the yes waits for the journal; with no journal to take it,
    the facilitator is shown it, or, submitted once the session has stopped, it stays in the
    box with the reason (which comes first depends on the machine)."""
    app, notes = _unopenable(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_dialog(pilot, "web-cpu")
        burst(app, ["y", *"we are live", "enter"])
        await until(pilot, lambda: isinstance(app.screen, SessionScreen), "the session")
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        await verdict_of(pilot, screen, "the session to stop")
        box = screen.query_one("#note", Input)
        await until(pilot, lambda: bool(box.value or notes), "the note shown or given back")
        await pilot.pause()
        shown = [m for t, m in notes if t == "Notes not journaled (the session did not start)"]
        first = (box.value, str(box.border_title))
        box.value = ""
        await pilot.press(*"still here", "enter")  # once the session has stopped
        await pilot.pause()
        later = (box.value, str(box.border_title))
    why = "not added: the session did not start: no journal to keep notes"
    assert shown == ["we are live"] or first == ("we are live", why), (shown, first, notes)
    assert later == ("still here", why)


def _unopenable(tmp_path: Path) -> tuple[GamedayApp, list[tuple[str, str]]]:
    """A console whose sessions cannot open their journal (its folder's parent is a file),
    and the (title, message) of each notification it shows."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    options = DemoOptions(clock=SteppingClock(), host_delay=0.0, journal_dir=blocker / "j")
    app = make_app(DemoBackend(options))
    notes: list[tuple[str, str]] = []
    app.notify = lambda message, **kw: notes.append((kw.get("title", ""), message))  # type: ignore[method-assign]
    return app, notes
