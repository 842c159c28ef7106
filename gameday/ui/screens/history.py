"""The history screen: past and running sessions of this console's journal directory.

The same list as `gameday sessions` (`core.history.list_sessions`, asked of the backend in a
worker: it reads every journal). Enter opens a session's view from its journal (the watch view:
gauges, hosts, timeline, verdict; live while it runs), `f` its findings document, `e` exports
it again (recorded in the journal, so the list says where the findings are).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from gameday.core.findings.text import utc_iso
from gameday.core.history import SessionSummary, duration_text, outcome_text
from gameday.errors import GamedayError
from gameday.ui.backend import Backend
from gameday.ui.keys import KILL_SWITCH_FIRST
from gameday.ui.workers import run_io

COLUMNS = ("started (UTC)", "outcome", "exit", "duration", "scenario", "targets", "session")
"""The outcome first: at 80 columns the long session id is what runs off the screen."""
OUTCOME_STYLES = {
    "held": "bold green",
    "running": "bold magenta",
    "deviated": "bold yellow",
    "aborted": "bold red",
    "revert_unconfirmed": "bold white on red",
    "interrupted": "bold red",
    "unreadable": "dim",
}
MAX_TARGETS = 3


@dataclass
class FindingsWritten(Message):
    """The findings of a session were exported again (or why not)."""

    path: str
    problem: str = ""


@dataclass
class SessionsListed(Message):
    """The sessions read from the journal directory (or why they could not be)."""

    sessions: tuple[SessionSummary, ...]
    problem: str = ""


class HistoryScreen(Screen[None]):
    CSS_PATH = "history.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        KILL_SWITCH_FIRST,
        Binding("enter", "open", "Open"),
        Binding("f", "findings", "Findings"),
        Binding("e", "export", "Export findings"),
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, backend: Backend) -> None:
        super().__init__()
        self.backend = backend
        self.sessions: dict[str, SessionSummary] = {}
        """Journal path → its summary, as listed."""
        self.export_said = ""
        """What the last export came to, as said to the facilitator."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Reading the journals…", id="history-status")
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Static("", id="history-detail")
        yield Footer()

    def on_mount(self) -> None:
        table: DataTable[Text] = self.query_one("#sessions", DataTable)
        table.border_title = "Sessions"
        for column in COLUMNS:
            table.add_column(column, key=column)
        table.focus()
        self.action_refresh()

    def on_screen_resume(self) -> None:
        self.action_refresh()  # back from a session: a running one may have ended

    def action_refresh(self) -> None:
        backend = self.backend

        def read() -> None:
            try:
                self.post_message(SessionsListed(tuple(backend.sessions())))
            except OSError as exc:
                self.post_message(SessionsListed((), f"cannot read the journals: {exc}"))

        run_io(self, read, group="history", description="list the sessions", exclusive=True)

    def on_sessions_listed(self, message: SessionsListed) -> None:
        table: DataTable[Text] = self.query_one("#sessions", DataTable)
        selected = self._selected()
        table.clear()
        self.sessions = {str(s.journal): s for s in message.sessions}
        for summary in message.sessions:
            table.add_row(*_cells(summary), key=str(summary.journal))
        if selected is not None and str(selected.journal) in self.sessions:
            table.move_cursor(row=table.get_row_index(str(selected.journal)))
        running = sum(1 for s in message.sessions if s.running)
        status = message.problem or (
            f"{len(message.sessions)} session(s), {running} running"
            "   enter: open its view · f: findings · e: export them again · r: read again"
            if message.sessions
            else "No session has been journaled here yet."
        )
        self.query_one("#history-status", Static).update(status)
        self._show_detail()

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        """The session's view, rebuilt from its journal (and followed while it runs)."""
        from gameday.ui.screens.watch import WatchScreen, WatchTarget

        summary = self._selected()
        if summary is not None:
            self.app.push_screen(WatchScreen(WatchTarget(journal=summary.journal), closable=True))

    def action_findings(self) -> None:
        from gameday.ui.screens.findings import FindingsScreen

        summary = self._selected()
        if summary is None:
            return
        if summary.running:
            self.notify("The findings are ready once the session has ended.", severity="warning")
            return
        self.app.push_screen(FindingsScreen(summary.journal, self.backend.export_dir))

    def action_export(self) -> None:
        """Write the highlighted session's findings again, next to the console's exports."""
        summary = self._selected()
        if summary is None:
            return
        if summary.running:
            self.notify("The findings are ready once the session has ended.", severity="warning")
            return
        backend, journal = self.backend, summary.journal

        def write() -> None:
            try:
                self.post_message(FindingsWritten(str(backend.export_findings(journal))))
            except GamedayError as exc:
                self.post_message(FindingsWritten("", f"{exc.title}: {exc.message}"))

        run_io(self, write, group="export", description=f"export the findings of {journal.stem}")

    def on_findings_written(self, message: FindingsWritten) -> None:
        if message.problem:
            self.export_said = f"Findings not exported: {message.problem}"
            self.notify(message.problem, title="Findings not exported", severity="error")
            return
        self.export_said = f"Findings written to {message.path}"
        self.notify(self.export_said, title="Exported")
        self.action_refresh()  # the list says where the findings are now

    def action_back(self) -> None:
        self.dismiss()

    def _selected(self) -> SessionSummary | None:
        table: DataTable[Text] = self.query_one("#sessions", DataTable)
        if not self.sessions or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.sessions.get(key or "")

    def _show_detail(self) -> None:
        summary = self._selected()
        self.query_one("#history-detail", Static).update(_detail(summary) if summary else "")


def _cells(summary: SessionSummary) -> tuple[Text, ...]:
    started = utc_iso(summary.started)[:16].replace("T", " ") if summary.started else "-"
    targets = list(summary.targets[:MAX_TARGETS])
    if len(summary.targets) > MAX_TARGETS:
        targets.append(f"+{len(summary.targets) - MAX_TARGETS}")
    outcome = outcome_text(summary)
    exit_status = "-" if summary.exit_status is None else str(summary.exit_status)
    return (
        _plain(started),
        Text(_printable(outcome.replace("_", " ")), style=OUTCOME_STYLES.get(outcome, "")),
        _plain(exit_status),
        _plain(duration_text(summary.duration)),
        _plain(summary.scenario_id or "-"),
        _plain(", ".join(targets) or "-"),
        _plain(summary.session_id),
    )


def _detail(summary: SessionSummary) -> Text:
    lines = [f"{summary.scenario_title or summary.scenario_id}", f"journal: {summary.journal}"]
    if summary.findings_file:
        lines.append(f"findings exported to {summary.findings_file}")
    if summary.problem:
        lines.append(f"unreadable: {summary.problem}")
    return Text(_printable("\n".join(lines)))


def _plain(text: str) -> Text:
    return Text(_printable(text))


def _printable(text: str) -> str:
    """A journal is a file anyone may have edited: no escape sequence reaches the terminal."""
    return "".join(c if c.isprintable() or c == "\n" else "?" for c in text)
