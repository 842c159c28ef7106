"""The console's history screen: sessions of its journal directory, each opened from its journal.

Sessions are real demo sessions run by the console (instant clock), plus journals a test writes
(an interrupted one, an unreadable one), as a facilitator would find them the next day.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from gameday.core.session import events as ev
from gameday.core.session.journal import JournalWriter, read_journal
from gameday.ui.app import GamedayApp
from gameday.ui.screens.findings import FindingsScreen
from gameday.ui.screens.history import HistoryScreen
from gameday.ui.screens.plan import PlanScreen
from gameday.ui.screens.watch import WatchScreen
from gameday.ui.widgets.hosts import HostsTable
from gameday.ui.widgets.timeline import Timeline
from tests.ui.conftest import in_loop, journaling, start, text_of, until
from tests.ui.test_watch import PLAN, STARTED

SIZE = (160, 48)


def _history(app: GamedayApp) -> HistoryScreen:
    screen = app.screen
    assert isinstance(screen, HistoryScreen)
    return screen


def _rows(screen: HistoryScreen) -> list[list[str]]:
    table: DataTable[object] = screen.query_one("#sessions", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


@in_loop
async def test_past_sessions_are_listed_opened_and_exported_again(
    instant: Callable[..., GamedayApp], tmp_path: Path
) -> None:
    interrupted = JournalWriter(tmp_path / "0-interrupted.jsonl", clock=lambda: 1000.0)
    interrupted.append(STARTED)
    interrupted.append(PLAN)
    interrupted.close()
    (tmp_path / "1-unreadable.jsonl").write_text("not json\n{}\n", encoding="utf-8")
    app = instant(journal_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, "api-partition")
        runner = app.runner
        assert runner is not None
        await until(pilot, lambda: runner.ended, "the end of the session")
        session = app.session_screen
        assert session is not None
        await until(pilot, lambda: session.verdict is not None, "the verdict on screen")
        entries = list(session.query_one(Timeline).entries)
        statuses = dict(session.query_one(HostsTable).statuses)
        await _to_history(pilot)
        history = _history(app)
        await until(pilot, lambda: len(history.sessions) == 3, "three sessions listed")
        rows = _rows(history)
        assert [row[1] for row in rows] == ["aborted", "interrupted", "unreadable"]
        assert runner.journal_path is not None and rows[0][6] == runner.journal_path.stem
        assert rows[0][2] == "3" and rows[0][5] == "api-1, api-2"
        status = text_of(history.query_one("#history-status", Static), width=200)
        assert status.startswith("3 session(s), 0 running   enter: open")

        await pilot.press("enter")  # the first row: the demo session
        await until(pilot, lambda: isinstance(app.screen, WatchScreen), "the session's view")
        view = app.screen
        assert isinstance(view, WatchScreen)
        await until(pilot, lambda: view.verdict is not None, "the verdict, from the journal")
        assert view.verdict == session.verdict
        # The same lines; the view's are in the journal's order, the console's in the order
        # its engine threads told it (two hosts' events of the same instant may swap).
        assert sorted(view.query_one(Timeline).entries) == sorted(entries)
        assert view.query_one(HostsTable).statuses == statuses
        for _ in range(5):  # the alarms first, as on the session screen
            if isinstance(app.screen, HistoryScreen):
                break
            await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen), "back to the history")
        assert view.follower is not None and view.follower.is_cancelled

        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, FindingsScreen), "the findings")
        findings = app.screen
        assert isinstance(findings, FindingsScreen)
        await until(pilot, lambda: findings.markdown is not None, "the document")
        await pilot.press("e")
        await until(pilot, findings.export_path.exists, "the findings exported again")
        assert findings.markdown is not None
        assert findings.export_path.read_text(encoding="utf-8") == findings.markdown
        assert "**Verdict: aborted**" in findings.markdown

        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen), "back to the list")
        await pilot.press("e")  # from the list: exported again and recorded in the journal
        journal = runner.journal_path
        await until(
            pilot,
            lambda: history.sessions[str(journal)].findings_file.endswith(".findings.md"),
            "the list saying where the findings are",
        )
        exported = Path(history.sessions[str(journal)].findings_file)
        assert "**Verdict: aborted**" in exported.read_text(encoding="utf-8")
        recorded = [e for e in read_journal(journal).events if isinstance(e, ev.FindingsExported)]
        assert [e.path for e in recorded] == [str(exported)] * 2  # the findings screen's, this
        detail = text_of(history.query_one("#history-detail", Static), width=300)
        assert f"findings exported to {exported}" in detail

        await pilot.press("down", "down")  # the unreadable journal: said, nothing written
        await pilot.press("e")
        await until(pilot, lambda: "not exported" in history.export_said, "a word on it")
        assert not (tmp_path / "1-unreadable.findings.md").exists()


@in_loop
async def test_a_running_session_is_listed_as_running_and_its_view_follows_it(
    fast: Callable[..., GamedayApp],
) -> None:
    app = fast(speed=2.0)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, "web-cpu")
        runner = await journaling(pilot)
        app.push_screen(HistoryScreen(app.backend))
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen), "the history")
        history = _history(app)
        await until(pilot, lambda: history.sessions, "the running session listed")
        assert [row[1] for row in _rows(history)] == ["running"]
        await pilot.press("f")
        assert isinstance(app.screen, HistoryScreen), "no findings before the end"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, WatchScreen), "the live view")
        view = app.screen
        assert isinstance(view, WatchScreen)
        await until(pilot, lambda: view.query(HostsTable), "its hosts")
        await pilot.press("ctrl+k")  # the console's own kill switch still works on this screen
        await until(pilot, lambda: runner.ended, "the session's end")
        await until(pilot, lambda: view.verdict is not None, "the verdict, followed live")
        assert view.verdict is not None and "ABORTED" in view.verdict


@in_loop
async def test_a_past_sessions_view_shows_its_host_rows_at_80_columns(
    instant: Callable[..., GamedayApp],
) -> None:
    """The session screen's style for its own hosts box (bordered, at most 45% high) reached
    the view's table inside its box, and at 80x24 left it room for its header only."""
    app = instant()
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot, "web-cpu")
        runner = app.runner
        assert runner is not None
        await until(pilot, lambda: runner.ended, "the end of the session")
        await _to_history(pilot)
        await until(pilot, lambda: len(_history(app).sessions) == 1, "the session listed")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, WatchScreen), "the session's view")
        view = app.screen
        await until(pilot, lambda: view.query(HostsTable), "the hosts table")
        await pilot.pause()
        table = view.query_one(HostsTable)
        box = view.query_one("#hosts-box")
        assert table.row_count >= 2
        assert table.region.height == box.region.height - 2, "the table fills its box"
        assert table.region.height >= table.row_count + 1, "its header and every row shown"


async def _to_history(pilot: Pilot[int]) -> None:
    """From the session's screen back to the plan screen (escape acknowledges the session's
    alarms first, then goes back), then the history."""
    app = pilot.app
    for _ in range(5):
        if isinstance(app.screen, PlanScreen):
            break
        await pilot.press("escape")
    await until(pilot, lambda: isinstance(app.screen, PlanScreen), "the plan screen")
    await pilot.press("h")
    await until(pilot, lambda: isinstance(app.screen, HistoryScreen), "the history")
