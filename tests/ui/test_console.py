"""The console as a facilitator uses it, on the demo fleet with the real engine and journal."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable

from textual.widgets import Input, Static

from gameday.core.faults import FaultPlan
from gameday.core.session import events as ev
from gameday.demo.simulation import DemoHost
from gameday.engine.ports import Outcome
from gameday.ui.app import GamedayApp
from gameday.ui.screens.confirm import ConfirmScreen
from gameday.ui.screens.findings import FindingsScreen
from gameday.ui.screens.plan import PlanScreen
from gameday.ui.widgets.gauge import ProbeGauge
from gameday.ui.widgets.hosts import HostsTable
from gameday.ui.widgets.timeline import Timeline
from tests.ui.conftest import (
    WAIT,
    burst,
    choose,
    confirm_dialog,
    demo,
    in_loop,
    injected,
    journal_events,
    journaling,
    session,
    start,
    start_dialog,
    text_of,
    until,
    verdict_of,
)

SIZE = (140, 48)


@in_loop
async def test_choosing_a_scenario_shows_spared_hosts_with_their_reasons(
    instant: Callable[..., GamedayApp],
) -> None:
    app = instant()
    async with app.run_test(size=SIZE) as pilot:
        screen = await choose(pilot, "api-process-kill")
        shown = text_of(screen.query_one("#plan", Static))
    assert "Blast radius: 1 target in 1 wave" in shown
    assert "api-2" in shown
    assert "api-1" in shown and "cut by count 1: 1 of 2 candidates picked (seed 11)" in shown
    assert "db-1" in shown and "protected by the inventory" in shown
    assert "web-1" in shown and "not in group backend" in shown
    assert "pkill" in shown or "kill" in shown  # the commands api-2 will receive


@in_loop
async def test_starting_asks_for_confirmation_with_the_host_count(
    instant: Callable[..., GamedayApp],
) -> None:
    app = instant()
    async with app.run_test(size=SIZE) as pilot:
        await start_dialog(pilot, "web-cpu")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "Start demo-web-cpu on 2 hosts?"
        await pilot.press("n")
        await pilot.pause()
        assert app.runner is None  # nothing started


@in_loop
async def test_a_session_shows_gauges_hosts_and_timeline_then_the_verdict(
    fast: Callable[..., GamedayApp],
) -> None:
    app = fast(speed=20)
    async with app.run_test(size=SIZE) as pilot:
        screen = await session(pilot, "web-cpu")
        gauges = list(screen.query(ProbeGauge))
        assert [g.probe.name for g in gauges] == ["p95_latency", "error_rate", "throughput"]
        timeline = screen.query_one(Timeline)
        await until(pilot, lambda: screen.phase == "monitor", "the monitor phase")
        status = text_of(screen.query_one("#status", Static), width=300)
        assert "MONITOR · wave 1/2" in status and " left" in status
        assert "steady state HOLDING" in status
        assert all(g.state in ("ok", "warn") for g in gauges)
        assert any("injected cpu_stress (f" in line for line in timeline.entries)
        verdict = await verdict_of(pilot, screen)
        hosts = screen.query_one(HostsTable)
    assert set(hosts.statuses.values()) == {"reverted"}
    assert verdict.startswith("VERDICT: HELD")
    assert demo(app).fleets[-1].active() == {}


@in_loop
async def test_kill_switch_fires_while_the_note_input_has_focus_and_reverts_every_host(
    fast: Callable[..., GamedayApp],
) -> None:
    app = fast(speed=10, host_delay=2.0)  # a revert takes a tenth of a second or two
    async with app.run_test(size=SIZE) as pilot:
        screen, hosts = await injected(pilot, "web-cpu")
        note = screen.query_one("#note", Input)
        assert app.focused is note
        await pilot.press(*"draft", "home")
        await pilot.press("ctrl+k")  # the Input binds ctrl+k too (delete to the end)
        assert note.value == "draft", "the note input took the kill switch's key"
        banner = text_of(screen.query_one("#alarm", Static))
        assert "KILL SWITCH" in banner and "reverting" in banner
        await until(pilot, lambda: screen.kill_state == "done", "the kill switch's outcome")
        await until(pilot, lambda: app.runner is not None and app.runner.ended, "the end")
        await pilot.pause()
        banner = text_of(screen.query_one("#alarm", Static))
        statuses = set(hosts.statuses.values())
    assert "clean" in banner
    assert demo(app).fleets[-1].active() == {}, "a demo host still has an active fault"
    assert statuses <= {"reverted", "not run"} and "reverted" in statuses
    assert screen.verdict is not None and "kill switch (keypress)" in screen.verdict
    pulled = [e for e in journal_events(app) if isinstance(e, ev.KillSwitchPulled)]
    assert [e.source for e in pulled] == ["keypress"]


@in_loop
async def test_kill_switch_fires_inside_a_modal(fast: Callable[..., GamedayApp]) -> None:
    app = fast(speed=10)
    async with app.run_test(size=SIZE) as pilot:
        screen, _ = await injected(pilot, "api-process-kill")
        await pilot.press("ctrl+q")
        await confirm_dialog(pilot, "the quit dialog")
        await pilot.press("ctrl+k")
        await until(pilot, lambda: app.runner is not None and app.runner.ended, "the end")
        await pilot.press("n")  # stay
        await pilot.pause()
        assert app.screen is screen
    assert demo(app).fleets[-1].active() == {}


@in_loop
async def test_a_typed_note_lands_in_the_timeline_and_the_journal(
    fast: Callable[..., GamedayApp],
) -> None:
    app = fast(speed=10)
    async with app.run_test(size=SIZE) as pilot:
        screen = await session(pilot, "web-cpu")
        runner = await journaling(pilot)
        note = screen.query_one("#note", Input)
        await pilot.press(*"!impact ", "enter")  # refused: a tag without text
        assert note.value == "!impact "
        note.value = "!impact pages feel slow"
        await pilot.press("enter")
        note.value = "!action @bob due:2026-12-04 write the runbook"
        await pilot.press("enter")
        timeline = screen.query_one(Timeline)
        await until(pilot, lambda: any("action item" in x for x in timeline.entries), "the notes")
        await pilot.press("ctrl+k")
        await until(pilot, lambda: runner.ended, "the end")
        entries = timeline.entries
    assert any(line.endswith("coordinator: impact noticed: pages feel slow") for line in entries)
    assert any(
        "action item: write the runbook (owner bob, due 2026-12-04)" in line for line in entries
    )
    notes = [e for e in journal_events(app) if isinstance(e, ev.NoteAdded)]
    assert [(n.tag, n.text, n.owner, n.due) for n in notes] == [
        ("impact", "pages feel slow", "", ""),
        ("action", "write the runbook", "bob", "2026-12-04"),
    ]


@in_loop
async def test_editing_keys_in_a_burst_act_where_they_were_typed(
    fast: Callable[..., GamedayApp],
) -> None:
    """`abc`, Backspace, `d`, ctrl+a (to the start), `>`, Enter, `x`: keys that reach the note
    box before it has handled any of them edit it in the order they were typed (Backspace and
    ctrl+a used to act after the characters typed after them), and the note ends at Enter
    although the cursor was not at the end: `>abd` is the note, `x` starts the next one."""
    app = fast(speed=10)
    async with app.run_test(size=SIZE) as pilot:
        screen = await session(pilot, "web-cpu")
        runner = await journaling(pilot)
        note = screen.query_one("#note", Input)
        burst(app, [*"abc", "backspace", "d", "ctrl+a", ">", "enter", "x"])
        await until(
            pilot,
            lambda: any(isinstance(e, ev.NoteAdded) for e in journal_events(app)),
            "the note",
        )
        await pilot.pause()
        typed = note.value
        await pilot.press("ctrl+k")
        await until(pilot, lambda: runner.ended, "the end")
    assert [e.text for e in journal_events(app) if isinstance(e, ev.NoteAdded)] == [">abd"]
    assert typed == "x"


@in_loop
async def test_keys_typed_right_after_enter_start_the_next_note(
    fast: Callable[..., GamedayApp],
) -> None:
    """A fast typist: `first`, Enter and `second` reach the console before it has handled any
    of them. The note is `first`; `second` waits in the box (it used to be added with the note,
    or erased with it)."""
    app = fast(speed=10)
    async with app.run_test(size=SIZE) as pilot:
        screen = await session(pilot, "web-cpu")
        runner = await journaling(pilot)
        note = screen.query_one("#note", Input)
        burst(app, [*"first", "enter", *"second"])
        await until(
            pilot,
            lambda: any(isinstance(e, ev.NoteAdded) for e in journal_events(app)),
            "the note",
        )
        typed = note.value
        await pilot.press("ctrl+k")
        await until(pilot, lambda: runner.ended, "the end")
    notes = [e.text for e in journal_events(app) if isinstance(e, ev.NoteAdded)]
    assert notes == ["first"]
    assert typed == "second"


@in_loop
async def test_keys_typed_right_after_confirming_a_start_are_the_first_notes(
    fast: Callable[..., GamedayApp],
) -> None:
    """`y`, a note, Enter, another, Enter and the start of a third reach the console before it
    has handled any of them: the dialog is gone and the session's screen not up yet. They are
    its first notes, journaled after the session's first event, and the third waits in the box;
    none acted on the screens in between (`h` opens the history there)."""
    app = fast(speed=10)
    async with app.run_test(size=SIZE) as pilot:
        await start_dialog(pilot, "web-cpu")
        burst(app, ["y", *"hello ph", "enter", *"two", "enter", *"thr"])
        await until(pilot, lambda: app.runner is not None, "the start")
        runner = await journaling(pilot)
        await until(pilot, lambda: len(_notes_of(app)) == 2, "the two notes")
        box = app.screen.query_one("#note", Input)
        typed = box.value
        await pilot.press("e")  # the box had the keys before the focus: nothing is selected
        await pilot.pause()
        typed_on = box.value
        screens = [type(s).__name__ for s in app.screen_stack]
        await pilot.press("ctrl+k")
        await until(pilot, lambda: runner.ended, "the end")
    assert _notes_of(app) == ["hello ph", "two"]
    assert (typed, typed_on) == ("thr", "thre")
    assert screens == ["Screen", "PlanScreen", "SessionScreen"]
    assert isinstance(journal_events(app)[0], ev.SessionStarted)


@in_loop
async def test_the_kill_switch_in_a_start_dialog_cancels_the_start(
    fast: Callable[..., GamedayApp],
) -> None:
    app = fast(speed=10)
    async with app.run_test(size=SIZE) as pilot:
        await start_dialog(pilot, "web-cpu")
        await pilot.press("ctrl+k")
        await until(pilot, lambda: isinstance(app.screen, PlanScreen), "the plan screen")
        await pilot.pause(0.3)
        said = [str(n.message) for n in app._notifications]
        assert app.runner is None
    assert "The start was cancelled: nothing ran." in said


@in_loop
async def test_y_and_the_kill_switch_in_one_burst_pull_the_session_as_it_starts(
    fast: Callable[..., GamedayApp],
) -> None:
    """`y`, a few keys and ctrl+k reach the console before it has handled any of them: they
    act in the order typed. The start goes ahead, the kill switch pulls the session as it
    starts (nothing is injected; it used to say "no session is running" and let it run), and
    the keys between them are the note box's."""
    app = fast(speed=10)
    async with app.run_test(size=SIZE) as pilot:
        await start_dialog(pilot, "web-cpu")
        burst(app, ["y", *"oops", "ctrl+k"])
        await until(pilot, lambda: app.runner is not None, "the start")
        runner = await journaling(pilot)
        await until(pilot, lambda: runner.ended, "the end")
        typed = app.screen.query_one("#note", Input).value
    events = journal_events(app)
    assert [e.source for e in events if isinstance(e, ev.KillSwitchPulled)] == ["keypress"]
    assert not any(isinstance(e, ev.FaultInjected) for e in events)
    assert typed == "oops"


@in_loop
async def test_the_kill_switch_between_a_yes_and_its_session_kills_it_as_it_starts(
    fast: Callable[..., GamedayApp],
) -> None:
    """The yes was read, the session is not made yet: the kill switch is not lost on "no
    session is running"; the session is pulled as it starts and injects nothing."""
    app = fast(speed=10)
    async with app.run_test(size=SIZE) as pilot:
        screen = await choose(pilot, "web-cpu")
        plan = screen.plans[screen.current or ""].plan
        assert plan is not None
        app.kept_keys.start()  # as a start's yes does
        app.action_kill_switch()
        app.start_session(plan)
        runner = await journaling(pilot)
        await until(pilot, lambda: runner.ended, "the end")
    events = journal_events(app)
    assert [e.source for e in events if isinstance(e, ev.KillSwitchPulled)] == ["keypress"]
    assert not any(isinstance(e, ev.FaultInjected) for e in events)


def _notes_of(app: GamedayApp) -> list[str]:
    return [e.text for e in journal_events(app) if isinstance(e, ev.NoteAdded)]


@in_loop
async def test_a_bad_note_is_refused_and_kept_for_editing(
    instant: Callable[..., GamedayApp],
) -> None:
    app = instant()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, "web-cpu")
        await until(pilot, lambda: app.runner is not None and app.runner.ended, "the end")
        note = app.screen.query_one("#note", Input)
        note.value = "!action due:tomorrow call"
        await pilot.press("enter")
        await pilot.pause()
        assert note.value == "!action due:tomorrow call"
        # why, on the box's own border: a toast would cover the box and the note in it
        said = str(note.border_title)
        assert said.startswith("not added: ") and "due:" in said and note.has_class("-refused")
        toasts = list(app._notifications)
        await pilot.press("end", *" x")
        await pilot.pause()
        assert note.border_title is None and not note.has_class("-refused"), "until edited"
    assert not toasts
    assert not [e for e in journal_events(app) if isinstance(e, ev.NoteAdded)]


@in_loop
async def test_a_failed_preflight_says_which_host_and_why_and_touches_nothing(
    instant: Callable[..., GamedayApp],
) -> None:
    app = instant()
    async with app.run_test(size=SIZE) as pilot:
        screen = await session(pilot, "web-latency")
        verdict = await verdict_of(pilot, screen, "the outcome")
        hosts = screen.query_one(HostsTable)
        await until(pilot, lambda: screen.ended, "the session's end")
        await pilot.pause()
        gauges = [gauge.render().plain for gauge in screen.query(ProbeGauge)]
    assert verdict.startswith("NOT STARTED — preflight failed: web-3")
    # nothing will ever be sampled: the gauges do not say they are waiting
    assert gauges and all("no samples" in g and "waiting" not in g for g in gauges), gauges
    assert "netem" in verdict
    assert set(hosts.statuses.values()) == {"not run"}
    details = {key.split("/")[0]: detail for key, detail in hosts.details.items()}
    assert "netem" in details["web-3"] and details["web-1"] == "preflight passed"
    assert not any(isinstance(e, ev.FaultArmed) for e in journal_events(app))


@in_loop
async def test_the_findings_screen_shows_the_verdict_and_exports_the_document(
    instant: Callable[..., GamedayApp],
) -> None:
    app = instant()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, "api-partition")
        await until(pilot, lambda: app.runner is not None and app.runner.ended, "the end")
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, FindingsScreen), "the findings")
        findings = app.screen
        assert isinstance(findings, FindingsScreen)
        await until(pilot, lambda: findings.markdown is not None, "the document")
        label = text_of(findings.query_one("#findings-verdict", Static))
        await pilot.press("e")
        await until(pilot, findings.export_path.exists, "the exported file")

        def exported() -> list[ev.FindingsExported]:
            return [e for e in journal_events(app) if isinstance(e, ev.FindingsExported)]

        await until(pilot, exported, "the export in the journal")  # for `gameday sessions`
        shown = text_of(findings.query_one("#export-path", Static), width=300)
        assert exported()[0].path == str(findings.export_path.resolve())
    assert label.startswith("Verdict: ABORTED — error_rate above 5% for 2 samples in a row")
    assert findings.markdown is not None and "**Verdict: aborted**" in findings.markdown
    assert findings.export_path.read_text(encoding="utf-8") == findings.markdown
    assert str(findings.export_path) in shown


@in_loop
async def test_quitting_during_a_session_reverts_every_host_first(
    fast: Callable[..., GamedayApp],
) -> None:
    app = fast(speed=10)
    async with app.run_test(size=SIZE) as pilot:
        await injected(pilot, "web-cpu")
        await pilot.press("ctrl+q")
        await confirm_dialog(pilot, "the quit dialog")
        await pilot.press("y")
        await until(pilot, lambda: app.return_code is not None, "the app to exit")
    assert app.return_code == 0
    assert demo(app).fleets[-1].active() == {}
    kinds = [type(e) for e in journal_events(app)]
    assert ev.KillSwitchPulled in kinds and kinds[-1] is ev.SessionEnded
    pulled = [e.source for e in journal_events(app) if isinstance(e, ev.KillSwitchPulled)]
    assert pulled == ["revert and quit"], "told apart from ctrl+k in the findings"


@in_loop
async def test_leaving_a_running_session_is_refused(fast: Callable[..., GamedayApp]) -> None:
    app = fast(speed=10)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, "web-cpu")
        screen = app.screen
        await until(pilot, lambda: app.runner is not None and app.runner.running, "the start")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("ctrl+k")
        await until(pilot, lambda: app.runner is not None and app.runner.ended, "the end")
        await pilot.press("escape")  # acknowledges the kill switch's banner first
        await pilot.pause()
        assert app.screen is screen and not screen.query_one("#alarm").display
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "PlanScreen"


@in_loop
async def test_sigusr1_pulls_the_kill_switch_as_gameday_abort_expects(
    fast: Callable[..., GamedayApp],
) -> None:
    app = fast(speed=10)
    async with app.run_test(size=SIZE) as pilot:
        await injected(pilot, "web-cpu")
        os.kill(os.getpid(), signal.SIGUSR1)  # the console catches it: this process survives
        await until(pilot, lambda: app.runner is not None and app.runner.ended, "the end")
        assert app.return_code is None, "gameday abort must not quit the console"
    assert demo(app).fleets[-1].active() == {}
    pulled = [e for e in journal_events(app) if isinstance(e, ev.KillSwitchPulled)]
    assert [e.source for e in pulled] == ["gameday abort"]


@in_loop
async def test_the_screen_answers_keys_while_the_kill_switch_waits_for_slow_hosts(
    fast: Callable[..., GamedayApp],
) -> None:
    app = fast(speed=10)
    async with app.run_test(size=SIZE) as pilot:
        screen, _ = await injected(pilot, "web-cpu")
        answer = threading.Event()  # the hosts answer the revert only when this is set
        for host in demo(app).hosts[-1].values():
            slow_down(host, answer)
        await pilot.press("ctrl+k")
        await pilot.press(*"still typing")
        assert screen.kill_state == "reverting"
        assert screen.query_one("#note", Input).value == "still typing"
        answer.set()
        await until(pilot, lambda: screen.kill_state == "done", "the kill switch's outcome")
        await until(pilot, lambda: app.runner is not None and app.runner.ended, "the end")
    assert demo(app).fleets[-1].active() == {}


def slow_down(host: DemoHost, answer: threading.Event) -> None:
    """Make the host answer a revert only once `answer` is set."""
    revert = host.revert

    def slow(plan: FaultPlan) -> Outcome:
        answer.wait(WAIT)
        return revert(plan)

    host.revert = slow  # type: ignore[method-assign]


@in_loop
async def test_a_lost_host_is_shown_at_once_in_the_hosts_table_and_the_timeline(
    fast: Callable[..., GamedayApp],
) -> None:
    app = fast(speed=10)
    async with app.run_test(size=SIZE) as pilot:
        screen, hosts = await injected(pilot, "web-cpu")
        host = next(k for k, v in hosts.statuses.items() if v == "injected").split("/")[0]
        # what the engine emits when the host stops answering its lease
        screen.post_event(ev.HostLost(host=host, silent_for=4.2, reverted_by=1795900345.0))
        await until(pilot, lambda: "LOST" in hosts.statuses.values(), "the LOST status")
        timeline = screen.query_one(Timeline)
        lost = [line for line in timeline.entries if "LEASE LOST" in line]
        assert lost and f"{host}: no answer for 4 s" in lost[0]
        assert "its own lease reverted it at ≈" in lost[0] and "not confirmed" in lost[0]
        await pilot.press("ctrl+k")
        await until(pilot, lambda: app.runner is not None and app.runner.ended, "the end")
