"""The setup step as a coordinator uses it: name the GameDay and its people, then start; notes
carry their author; the team is remembered for the next console."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from gameday.app.demo import DemoBackend, DemoOptions
from gameday.core.formats.inventory import NotifyTarget, Secret
from gameday.core.roles import Team, load_team
from gameday.core.session import events as ev
from gameday.core.session.journal import read_journal
from gameday.ui.app import GamedayApp, make_app
from gameday.ui.screens.confirm import ConfirmScreen
from gameday.ui.screens.session import SessionScreen
from gameday.ui.screens.team import TeamScreen
from gameday.ui.widgets.timeline import Timeline
from tests.ui.conftest import (
    burst,
    choose,
    demo,
    in_loop,
    journaling,
    start,
    team_dialog,
    text_of,
    until,
)
from tests.unit.quiet_http import QuietHandler, serving

SIZE = (140, 48)


def _app(tmp_path: Path, team_file: Path) -> GamedayApp:
    options = DemoOptions(seed=7, speed=10.0, host_delay=0.0, journal_dir=tmp_path / "journals")
    return make_app(DemoBackend(options, team_file=team_file))


@in_loop
async def test_the_team_is_set_journaled_and_notes_carry_their_author(tmp_path: Path) -> None:
    team_file = tmp_path / "config" / "team.json"
    app = _app(tmp_path, team_file)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await team_dialog(pilot)
        dialog.query_one("#team-name", Input).value = "Q4 checkout"
        people = dialog.query_one("#team-people", Input)
        people.value = "alice:owner bob:coordinator carol:chief"
        people.focus()
        await pilot.press("enter")
        error = dialog.query_one("#team-error", Static)
        assert "unknown role 'chief'" in text_of(error)  # refused, said under the field
        people.value = "alice:owner bob:coordinator carol:reporter dave"
        await pilot.press("enter")
        await until(pilot, team_file.exists, "the team to be remembered")

        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirm dialog")
        detail = text_of(app.screen.query_one("#dialog-detail", Static))
        assert (
            "Team: Q4 checkout: owner alice, coordinator bob, reporter carol, observer dave"
            in detail
        )
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, SessionScreen), "the session")
        runner = await journaling(pilot)
        note = app.screen.query_one("#note", Input)
        note.value = "checkout is slow"
        await pilot.press("enter")
        note.value = "@alice: !went_well we halted in time"
        await pilot.press("enter")
        note.value = "@mallory: hello"
        await pilot.press("enter")
        assert note.value == "@mallory: hello"  # not a participant: refused, kept for editing
        timeline = app.screen.query_one(Timeline)
        await until(pilot, lambda: any("went well" in x for x in timeline.entries), "the notes")
        await pilot.press("ctrl+k")
        await until(pilot, lambda: runner.ended, "the end")
        path = runner.journal_path
    assert path is not None
    events = read_journal(path).events
    started = next(e for e in events if isinstance(e, ev.SessionStarted))
    assert started.gameday_name == "Q4 checkout"
    joined = [(e.name, e.role) for e in events if isinstance(e, ev.ParticipantJoined)]
    team = (("alice", "owner"), ("bob", "coordinator"), ("carol", "reporter"), ("dave", "observer"))
    assert joined == list(team)
    notes = [(e.actor, e.text) for e in events if isinstance(e, ev.NoteAdded)]
    assert notes == [("carol", "checkout is slow"), ("alice", "we halted in time")]
    assert load_team(team_file) == Team("Q4 checkout", team)


@in_loop
async def test_the_next_console_remembers_the_team(tmp_path: Path) -> None:
    team_file = tmp_path / "team.json"
    team_file.write_text(
        '{"name": "Drill", "people": [{"name": "erin", "role": "owner"}]}', encoding="utf-8"
    )
    app = _app(tmp_path, team_file)
    async with app.run_test(size=SIZE) as pilot:
        await choose(pilot, "web-cpu")
        await until(pilot, lambda: demo(app).team.name == "Drill", "the remembered team")
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TeamScreen), "the team dialog")
        assert app.screen.query_one("#team-people", Input).value == "erin:owner"
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, TeamScreen), "the plan screen")
    assert demo(app).team.people == (("erin", "owner"),)


@in_loop
async def test_a_notification_that_fails_is_shown_and_journaled(tmp_path: Path) -> None:
    hits: list[str] = []

    class Failing(QuietHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            hits.append(self.path)
            self.reply(500, b"down")

    with serving(Failing) as url:
        target = NotifyTarget(
            kind="webhook", name="team-hook", url=Secret(url), events=("session_started",),
            attempts=1,
        )  # fmt: skip
        options = DemoOptions(seed=7, speed=10.0, host_delay=0.0, journal_dir=tmp_path)
        app = make_app(DemoBackend(options, notify=(target,)))
        async with app.run_test(size=SIZE) as pilot:
            await start(pilot, "web-cpu")
            screen = app.screen
            timeline = screen.query_one(Timeline)
            await until(
                pilot, lambda: any("NOTIFICATION FAILED" in x for x in timeline.entries), "it"
            )
            shown = [n.message for n in app._notifications]
            await pilot.press("ctrl+k")
            runner = app.runner
            assert runner is not None
            await until(pilot, lambda: runner.ended, "the end")
    assert hits == ["/"]
    assert any("session_started to team-hook: HTTP 500" in text for text in shown)


@in_loop
async def test_a_burst_fills_the_name_then_the_people(tmp_path: Path) -> None:
    """The name, Enter, the people and Enter reach the console before it has handled any of
    them (a fast typist, keys sent by a terminal multiplexer): the name is the name, and the
    people typed replace the team shown, as they do when typed slowly (they used to be typed on
    after the name, in its field)."""
    team_file = tmp_path / "team.json"
    app = _app(tmp_path, team_file)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await team_dialog(pilot)
        dialog.query_one("#team-name", Input).value = ""
        dialog.query_one("#team-people", Input).value = "alice:owner"  # the team so far
        burst(app, [*"Drill", "enter", *"erin:owner", "enter"])
        await until(pilot, team_file.exists, "the team to be remembered")
    assert load_team(team_file) == Team("Drill", (("erin", "owner"),))
