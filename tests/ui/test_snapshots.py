"""Snapshots of the three main screens in fixed states (fixed seed, stepping clock, relative
journal folder), so any change to what a facilitator sees shows up as a diff to review.

Update after an intended change: `pytest tests/ui/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from gameday.ui.app import GamedayApp
from gameday.ui.screens.findings import FindingsScreen
from gameday.ui.screens.team import TeamScreen
from tests.ui.conftest import choose, start, until


@pytest.fixture
def app(instant: Callable[..., GamedayApp], tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
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


def test_plan_screen(snap_compare, app: GamedayApp) -> None:  # type: ignore[no-untyped-def]
    async def ready(pilot: Pilot[int]) -> None:
        await choose(pilot, "web-cpu")

    assert snap_compare(app, terminal_size=(120, 40), run_before=ready)


def test_session_screen_after_the_verdict(snap_compare, app: GamedayApp) -> None:  # type: ignore[no-untyped-def]
    async def ready(pilot: Pilot[int]) -> None:
        await _session_over(pilot, "web-cpu")

    assert snap_compare(app, terminal_size=(140, 42), run_before=ready)


def test_findings_screen(snap_compare, app: GamedayApp) -> None:  # type: ignore[no-untyped-def]
    async def ready(pilot: Pilot[int]) -> None:
        await _session_over(pilot, "api-partition")
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(pilot.app.screen, FindingsScreen), "findings")
        screen = pilot.app.screen
        assert isinstance(screen, FindingsScreen)
        await until(pilot, lambda: screen.markdown is not None, "the document")
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(110, 30), run_before=ready)


def test_team_dialog_with_a_refused_role(snap_compare, app: GamedayApp) -> None:  # type: ignore[no-untyped-def]
    async def ready(pilot: Pilot[int]) -> None:
        await choose(pilot, "web-cpu")
        await pilot.press("t")
        await until(pilot, lambda: isinstance(pilot.app.screen, TeamScreen), "the team dialog")
        screen = pilot.app.screen
        screen.query_one("#team-name", Input).value = "Q4 checkout resilience"
        people = screen.query_one("#team-people", Input)
        people.value = "alice:owner bob:coordinator carol:scribe"
        people.focus()
        await pilot.press("enter")
        for field in screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=ready)
