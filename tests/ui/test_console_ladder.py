"""The ladder in the console: the plan shows which hosts join at which stage, and between two
stages the owner says go or no-go (the kill switch works while the question is open)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from gameday.core.roles import Team
from gameday.core.session import events as ev
from gameday.engine.ports import Decision, StageReport
from gameday.ui.app import GamedayApp
from gameday.ui.ladder_gate import ConsoleGate
from gameday.ui.screens.confirm import ConfirmScreen
from gameday.ui.screens.session import SessionScreen
from tests.ui.conftest import (
    SnapCompare,
    choose,
    demo,
    in_loop,
    journal_events,
    start,
    text_of,
    until,
)

SIZE = (160, 48)
LADDER = "web-partition-ladder"


async def asked(pilot: Pilot[int], app: GamedayApp, stage: int) -> ConfirmScreen:
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, ConfirmScreen)
            and f"Stage {stage} of 3 held" in (app.screen.question)
        ),
        f"the go/no-go after stage {stage}",
    )
    assert isinstance(app.screen, ConfirmScreen)
    return app.screen


@in_loop
async def test_the_plan_shows_which_hosts_join_at_which_stage(
    instant: Callable[..., GamedayApp],
) -> None:
    app = instant()
    async with app.run_test(size=SIZE) as pilot:
        screen = await choose(pilot, LADDER)
        shown = text_of(screen.query_one("#plan", Static), width=110)
        assert "a ladder of 3 stages up to 3 targets, seed 3" in shown
        rows = [line.split() for line in shown.splitlines() if line.strip()[:1].isdigit()]
        assert ["1", "(1)", "1", "web-1"] in rows
        assert ["2", "(2)", "2", "web-3"] in rows
        assert ["3", "(100%)", "3", "web-2"] in rows


@in_loop
async def test_the_owner_says_go_and_the_journal_names_who_decided(
    instant: Callable[..., GamedayApp],
) -> None:
    app = instant()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, LADDER)
        prompt = await asked(pilot, app, 1)
        assert "web-3" in prompt.detail and "error_rate: worst" in prompt.detail
        author = demo(app).author  # no owner in the team: the person at the console decides
        assert f"The owner decides: {author}." in prompt.detail
        screen = app.screen_stack[-2]
        assert isinstance(screen, SessionScreen)
        assert "stage 1/3 held: go or no-go?" in str(screen.query_one("#status", Static).content)
        await pilot.press("y")
        await until(pilot, lambda: app.runner is not None and app.runner.ended, "the end")
        decisions = [e for e in journal_events(app) if isinstance(e, ev.LadderDecided)]
        assert [(d.stage, d.go, d.actor, d.role, d.how) for d in decisions] == [
            (1, True, author, "", "console")
        ]
        # The demo's web tier cannot lose two nodes: stage 2 broke, stage 3 never ran.
        ends = [(e.stage, e.outcome) for e in journal_events(app) if isinstance(e, ev.StageEnded)]
        assert ends == [(1, "held"), (2, "broke")]
        injected = {e.host for e in journal_events(app) if isinstance(e, ev.FaultInjected)}
        assert injected == {"web-1", "web-3"}


@in_loop
async def test_no_go_ends_the_ladder_and_leaves_later_hosts_untouched(
    instant: Callable[..., GamedayApp],
) -> None:
    app = instant()
    demo(app).team = Team("Q4 web drill", (("bob", "coordinator"), ("alice", "owner")))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, LADDER)
        prompt = await asked(pilot, app, 1)
        assert "The owner decides: alice (owner)." in prompt.detail
        await pilot.press("n")
        await until(pilot, lambda: app.runner is not None and app.runner.ended, "the end")
        events = journal_events(app)
        decided = [e for e in events if isinstance(e, ev.LadderDecided)]
        assert [(d.go, d.actor, d.role) for d in decided] == [(False, "alice", "owner")]
        verdict = next(e for e in events if isinstance(e, ev.VerdictReached))
        assert verdict.verdict == "held"
        assert verdict.reason == (
            "held up to stage 1 of 3; the ladder was stopped there (no-go by alice)"
        )
        assert {e.host for e in events if isinstance(e, ev.FaultArmed)} == {"web-1"}
        assert demo(app).fleets[-1].active() == {}


@in_loop
async def test_the_kill_switch_while_the_question_is_open_closes_it_and_aborts(
    instant: Callable[..., GamedayApp],
) -> None:
    app = instant()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, LADDER)
        await asked(pilot, app, 1)
        await pilot.press("ctrl+k")
        await until(pilot, lambda: app.runner is not None and app.runner.ended, "the end")
        await until(pilot, lambda: isinstance(app.screen, SessionScreen), "the prompt closed")
        events = journal_events(app)
        assert not any(isinstance(e, ev.LadderDecided) for e in events)
        assert not any(isinstance(e, ev.StageStarted) and e.stage == 2 for e in events)
        verdict = next(e for e in events if isinstance(e, ev.VerdictReached))
        assert verdict.verdict == "aborted"


def test_no_answer_in_time_is_a_no_go_said_as_such() -> None:
    asked_reports: list[StageReport] = []
    gate = ConsoleGate(asked_reports.append, "carol", timeout=0.3)
    report = StageReport(1, 3, ("a",), ("a", "b"), ("b",), "x", owner="")
    decision = gate.decide(report, threading.Event())
    assert decision is not None
    assert (decision.go, decision.by, decision.how) == (False, "", "no answer")
    assert gate.answer(1, True) is False  # too late: nobody waits for it


def test_an_answer_names_the_person_at_the_console_when_there_is_no_owner() -> None:
    gate = ConsoleGate(lambda report: None, "carol", timeout=5.0)
    report = StageReport(2, 3, ("a", "b"), ("a", "b", "c"), ("c",), "x", owner="")
    result: list[Decision | None] = []
    worker = threading.Thread(target=lambda: result.append(gate.decide(report, threading.Event())))
    worker.start()
    for _ in range(100):
        if gate.pending == 2:
            break
        threading.Event().wait(0.01)
    assert gate.answer(2, True)
    worker.join(5.0)
    decision = result[0]
    assert decision is not None and decision.go and decision.by == "carol"


def test_cancel_ends_the_wait_without_a_decision() -> None:
    gate = ConsoleGate(lambda report: None, "carol", timeout=5.0)
    cancel = threading.Event()
    cancel.set()
    report = StageReport(1, 2, ("a",), ("a", "b"), ("b",), "x", owner="alice", owner_role="owner")
    assert gate.decide(report, cancel) is None


def test_go_no_go_prompt_snapshot(
    snap_compare: SnapCompare,
    instant: Callable[..., GamedayApp],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # paths on screen are relative: the same on every machine
    app = instant(journal_dir=Path("journals"))

    async def ready(pilot: Pilot[int]) -> None:
        await start(pilot, LADDER)
        await asked(pilot, app, 1)
        screen = app.screen_stack[-2]
        assert isinstance(screen, SessionScreen)
        screen.query_one("#note", Input).cursor_blink = False
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(120, 40), run_before=ready)


def test_closing_the_console_while_asked_is_a_no_go_said_as_such() -> None:
    gate = ConsoleGate(lambda report: None, "carol", timeout=30.0)
    report = StageReport(1, 3, ("a",), ("a", "b"), ("b",), "x", owner="alice", owner_role="owner")
    result: list[Decision | None] = []
    worker = threading.Thread(target=lambda: result.append(gate.decide(report, threading.Event())))
    worker.start()
    for _ in range(100):
        if gate.pending == 1:
            break
        threading.Event().wait(0.01)
    gate.close()
    worker.join(5.0)
    assert not worker.is_alive()
    decision = result[0]
    assert isinstance(decision, Decision)
    assert (decision.go, decision.by, decision.how) == (False, "", "console closed")
    later = gate.decide(report, threading.Event())  # and every later question
    assert later is not None and not later.go
