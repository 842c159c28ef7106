"""Snapshots of the key screens at 160x48 (a projector) and 80x24 (a laptop over SSH), in fixed
states (fixed seed, stepping clock, relative
journal folder), so any change to what a facilitator sees shows up as a diff to review.

Update after an intended change: `pytest tests/ui/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Markdown

from gameday.demo.simulation import DemoHost
from gameday.engine.ports import Outcome
from gameday.ui.app import GamedayApp
from gameday.ui.screens.findings import FindingsScreen
from gameday.ui.screens.session import SessionScreen
from tests.ui.conftest import HoldingClock, SnapCompare, choose, demo, start, team_dialog, until


@pytest.fixture(autouse=True)
def hosts_answer_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hosts are armed, injected and reverted in parallel, so their lines come in any order;
    here host -1 always answers before host -2, so the timeline is the same on every run."""
    commands = DemoHost._commands

    def in_order(self: DemoHost, *args: Any, **kwargs: Any) -> Outcome:
        time.sleep(0.2 * (int(self.host.rsplit("-", 1)[-1]) - 1))
        return commands(self, *args, **kwargs)

    monkeypatch.setattr(DemoHost, "_commands", in_order)


@pytest.fixture
def app(
    instant: Callable[..., GamedayApp], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> GamedayApp:
    monkeypatch.chdir(tmp_path)  # paths on screen are relative: the same on every machine
    return instant(journal_dir=Path("journals"))


async def _session_over(pilot: Pilot[int], scenario: str) -> None:
    app = pilot.app
    assert isinstance(app, GamedayApp)
    await start(pilot, scenario)
    await until(pilot, lambda: app.runner is not None and app.runner.ended, "the end")
    await until(
        pilot,
        lambda: getattr(app.screen, "verdict", None) is not None,
        "the verdict on screen",
    )
    app.screen.query_one("#note", Input).cursor_blink = False
    await pilot.pause()


SIZES = [pytest.param((160, 48), id="160x48"), pytest.param((80, 24), id="80x24")]


@pytest.mark.parametrize("size", SIZES)
def test_plan_screen(snap_compare: SnapCompare, app: GamedayApp, size: tuple[int, int]) -> None:
    async def ready(pilot: Pilot[int]) -> None:
        await choose(pilot, "web-cpu")

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_running_session_with_a_breach(
    snap_compare: SnapCompare,
    held: Callable[..., GamedayApp],
    size: tuple[int, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """api-process-kill frozen in its monitor phase, error_rate past its bound."""
    monkeypatch.chdir(tmp_path)
    app = held(at=18.0, journal_dir=Path("journals"))
    clock = demo(app).clock
    assert isinstance(clock, HoldingClock)

    async def ready(pilot: Pilot[int]) -> None:
        await start(pilot, "api-process-kill")
        await until(pilot, clock.holding.is_set, "the session frozen mid-run")
        await pilot.pause(0.3)
        screen = pilot.app.screen
        assert isinstance(screen, SessionScreen)
        assert screen.state.phase == "monitor" and screen.state.breaches, "no breach to show"
        screen.query_one("#note", Input).cursor_blink = False
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=size, run_before=ready)
    finally:
        clock.release.set()


@pytest.mark.parametrize("size", SIZES)
def test_alarm_banner_after_an_abort_rule(
    snap_compare: SnapCompare, app: GamedayApp, size: tuple[int, int]
) -> None:
    async def ready(pilot: Pilot[int]) -> None:
        await _session_over(pilot, "api-partition")
        assert pilot.app.screen.query_one("#alarm").display

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_findings_screen(snap_compare: SnapCompare, app: GamedayApp, size: tuple[int, int]) -> None:
    async def ready(pilot: Pilot[int]) -> None:
        await _session_over(pilot, "api-partition")
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(pilot.app.screen, FindingsScreen), "findings")
        screen = pilot.app.screen
        assert isinstance(screen, FindingsScreen)
        await until(pilot, lambda: screen.markdown is not None, "the document")
        await pilot.pause(0.3)
        # The steady-state section: its charts are text sparklines, not Mermaid source.
        assert screen.query_one(Markdown).goto_anchor("error_rate")
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=size, run_before=ready)


def test_team_dialog_with_a_refused_role(snap_compare: SnapCompare, app: GamedayApp) -> None:
    async def ready(pilot: Pilot[int]) -> None:
        screen = await team_dialog(pilot)
        screen.query_one("#team-name", Input).value = "Q4 checkout resilience"
        people = screen.query_one("#team-people", Input)
        people.value = "alice:owner bob:coordinator carol:scribe"
        people.focus()
        await pilot.press("enter")
        for field in screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=ready)
