"""The timeline: one sentence per event (`gameday.core.timeline.describe`), notes in colour."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog

from gameday.core import events as ev
from gameday.core.timeline import describe, offset

NOTE_STYLES = {
    "note": "cyan",
    "impact": "bold yellow",
    "went_well": "green",
    "went_wrong": "red",
    "lucky": "magenta",
    "action": "bold cyan",
}
ALARMS = ("FAILED", "ABORT", "KILL SWITCH", "UNCONFIRMED")


class Timeline(RichLog):
    """Append-only; `entries` keeps the plain lines shown (what tests and copy-paste read)."""

    DEFAULT_CSS = """
    Timeline { scrollbar-gutter: stable; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        # min_width 1: lines wrap at the widget's own width (the default, 78, would crop them).
        super().__init__(
            id=id, wrap=True, markup=False, highlight=False, auto_scroll=True, min_width=1
        )
        self.entries: list[str] = []
        """Every line shown, as plain text, in order."""
        self._started: float | None = None

    def add(self, event: ev.Event) -> None:
        if isinstance(event, ev.SessionStarted):
            self._started = event.ts
        sentence = describe(event)
        if sentence is None:
            return
        when = offset(event.ts, self._started)
        who = "" if event.actor == ev.SYSTEM else f"{event.actor}: "
        plain = f"{when}  {who}{sentence}"
        self.entries.append(plain)
        line = Text(f"{when}  ", style="dim")
        line.append(who + sentence, style=_style(event, sentence))
        self.write(line)


def _style(event: ev.Event, sentence: str) -> str:
    if isinstance(event, ev.NoteAdded):
        return NOTE_STYLES.get(event.tag, "cyan")
    if isinstance(event, ev.VerdictReached):
        return "bold green" if event.verdict == "held" else "bold red"
    if any(word in sentence for word in ALARMS):
        return "bold red"
    if isinstance(event, ev.PhaseChanged):
        return "bold"
    return ""
