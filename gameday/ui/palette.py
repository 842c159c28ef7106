"""gameday's own commands in the command palette (ctrl+p): the kill switch, start, preflight
only, findings, export, add a note, jump to a host, help.

Each command runs the same action as its key, on whichever screen can do it; a command that
does not apply where the facilitator is says why instead of doing nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

if TYPE_CHECKING:
    from gameday.ui.screens.session import SessionScreen


class Console(Protocol):
    """What the palette needs of the app (the app imports the palette, not the reverse)."""

    session_screen: SessionScreen | None

    @property
    def screen(self) -> Screen[Any]: ...

    def action_kill_switch(self, source: str = "keypress") -> None: ...

    def action_help(self) -> None: ...

    def notify(self, message: str, *, severity: Any = "information") -> None: ...


Command = tuple[str, str, Callable[[], object]]
"""(name, help, what it does)."""


def commands(app: Console) -> list[Command]:
    from gameday.ui.screens.findings import FindingsScreen
    from gameday.ui.screens.plan import PlanScreen
    from gameday.ui.screens.session import SessionScreen
    from gameday.ui.widgets.hosts import HostsTable

    def on_screen(kind: type, action: str, where: str) -> Callable[[], object]:
        def run() -> object:
            screen = app.screen
            if isinstance(screen, kind):
                return getattr(screen, f"action_{action}")()
            app.notify(f"Only on the {where} screen.", severity="warning")
            return None

        return run

    def focus_note() -> None:
        session = app.session_screen
        if session is None:
            app.notify("There is no session to note yet.", severity="warning")
            return
        if app.screen is not session:
            app.notify("Notes are taken on the session screen.", severity="warning")
            return
        session.query_one("#note").focus()

    found: list[Command] = [
        ("Kill switch", "ctrl+k: revert every fault on every host now", app.action_kill_switch),
        (
            "Start the highlighted scenario",
            "s, enter or a double-click on the plan screen: asks to confirm",
            on_screen(PlanScreen, "start", "plan"),
        ),
        (
            "Preflight only",
            "p: check every host and probe of the plan; injects nothing",
            on_screen(PlanScreen, "preflight", "plan"),
        ),
        (
            "Findings",
            "ctrl+o: the findings document (after the verdict)",
            on_screen(SessionScreen, "findings", "session"),
        ),
        (
            "Export findings",
            "e on the findings screen: write the document to a Markdown file",
            _export(app, FindingsScreen, SessionScreen),
        ),
        ("Add a note", "focus the note box of the session screen", focus_note),
        (
            "History",
            "h: past and running sessions; open one, its findings, export again",
            on_screen(PlanScreen, "history", "plan"),
        ),
        ("Help", "f1 or ?: every key of every screen", app.action_help),
    ]
    session = app.session_screen
    if session is not None and app.screen is session:
        table = session.query_one(HostsTable)
        for row, key in enumerate(table.statuses):
            host = key.split("/", 1)[0]
            found.append(
                (f"Jump to host {host}", f"its row in the hosts table ({key})", _jump(table, row))
            )
    return found


def _export(app: Console, findings: type, session: type) -> Callable[[], object]:
    def run() -> object:
        screen = app.screen
        if isinstance(screen, findings):
            return screen.action_export()  # type: ignore[attr-defined]
        if isinstance(screen, session):
            return screen.action_export()  # type: ignore[attr-defined]
        app.notify("Export is on the session and findings screens.", severity="warning")
        return None

    return run


def _jump(table: object, row: int) -> Callable[[], object]:
    def run() -> None:
        table.focus()  # type: ignore[attr-defined]
        table.move_cursor(row=row)  # type: ignore[attr-defined]

    return run


class GamedayCommands(Provider):
    """The palette's only provider: gameday's commands, then Textual's own (theme, screenshot…).

    One provider, so the order is fixed: with two, the palette lists whichever answers first,
    and in a fresh process Textual's won, pushing the kill switch below the fold at 80x24.
    """

    def _commands(self) -> list[Command]:
        ours = commands(self.app)  # type: ignore[arg-type]
        textual = [
            (name, help_text, run)
            for name, help_text, run, discover in self.app.get_system_commands(self.screen)
            if discover
        ]
        return ours + textual

    async def discover(self) -> Hits:
        for name, help_text, run in self._commands():
            yield DiscoveryHit(name, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, run in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=help_text)
