"""The help screen (f1, or ? where no text box has focus): every key of every screen.

Built from the screens' own BINDINGS, so it cannot drift from what the keys do; the few keys
that belong to widgets (enter in the note box, a double-click in the list) are added by hand.
"""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

WIDGET_KEYS: tuple[tuple[str, str, str], ...] = (
    ("plan", "↑ ↓", "choose a scenario (one click selects too)"),
    ("plan", "enter, double-click", "start the highlighted scenario (asks to confirm)"),
    ("session", "enter", "add the note typed in the note box (!impact, !action @owner …)"),
    ("ctrl+p", "ctrl+p", "command palette: gameday's commands, then Textual's"),
)


def binding_rows(app_bindings: list[BindingType]) -> list[tuple[str, str, str]]:
    """(where, key, what) for every binding of the app and its screens."""
    from gameday.ui.screens.confirm import ConfirmScreen, TypedConfirmScreen
    from gameday.ui.screens.findings import FindingsScreen
    from gameday.ui.screens.history import HistoryScreen
    from gameday.ui.screens.plan import PlanScreen
    from gameday.ui.screens.preflight import PreflightScreen
    from gameday.ui.screens.session import SessionScreen
    from gameday.ui.screens.team import TeamScreen
    from gameday.ui.screens.watch import WatchScreen

    places: list[tuple[str, list[BindingType]]] = [
        ("everywhere", app_bindings),
        ("plan", PlanScreen.BINDINGS),
        ("preflight only", PreflightScreen.BINDINGS),
        ("team", TeamScreen.BINDINGS),
        ("session", SessionScreen.BINDINGS),
        ("findings", FindingsScreen.BINDINGS),
        ("history", HistoryScreen.BINDINGS),
        ("a session opened from the history", WatchScreen.BINDINGS),
        ("yes/no dialogs", ConfirmScreen.BINDINGS),
        ("type-to-start dialog", TypedConfirmScreen.BINDINGS),
    ]
    rows = []
    for where, bindings in places:
        for binding in bindings:
            if isinstance(binding, Binding):
                rows.append((where, _keys(binding.key), binding.description))
    rows += [(w, k, d) for w, k, d in WIDGET_KEYS if w != "ctrl+p"]
    rows.append(("everywhere", "ctrl+p", WIDGET_KEYS[-1][2]))
    return rows


def _keys(key: str) -> str:
    names = {"question_mark": "?", "escape": "esc"}
    return ", ".join(names.get(k.strip(), k.strip()) for k in key.split(","))


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; background: $background 60%; }
    #help { width: 90%; max-width: 100; height: 90%; border: thick $primary; background: $surface;
            padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,question_mark,q", "close", "Close the help"),
    ]

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, header_style="bold")
        table.add_column("where", style="dim", no_wrap=True)
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("what it does")
        for where, key, what in binding_rows(type(self.app).BINDINGS):
            table.add_row(where, key, what)
        with VerticalScroll(id="help"):
            yield Static(Text("Keys — esc closes this help", style="bold"))
            yield Static(table)

    def on_mount(self) -> None:
        self.query_one("#help").border_title = "Help"

    def action_close(self) -> None:
        self.dismiss()
