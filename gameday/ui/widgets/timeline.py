"""The timeline: one sentence per event (`core.session.timeline.describe`), notes in colour."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widgets import RichLog

from gameday.core.session import events as ev
from gameday.core.session.timeline import describe, offset

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
        self._lines: list[Text] = []
        self._started: float | None = None
        self._width = 0

    def add(self, event: ev.Event) -> None:
        if isinstance(event, ev.SessionStarted):
            self._started = event.ts
        sentence = describe(event)
        if sentence is None:
            return
        when = offset(event.ts, self._started)
        # The actor is said once: "alice joined", not "alice: alice joined".
        quiet = event.actor == ev.SYSTEM or isinstance(event, ev.ParticipantJoined)
        who = "" if quiet else f"{event.actor}: "
        plain = f"{when}  {who}{sentence}"
        self.entries.append(plain)
        line = Text(f"{when}  ", style="dim")
        line.append(who + sentence, style=_style(event, sentence))
        self._lines.append(line)
        self.write(line)

    def reset(self) -> None:
        """Forget every line (a view that moves to another session starts afresh)."""
        self.clear()
        self.entries.clear()
        self._lines.clear()
        self._started = None

    def on_resize(self, event: events.Resize) -> None:
        # RichLog wraps a line once, when written: after a resize, write them all again.
        # (Textual also calls RichLog's own handler, which writes what waited for a size.)
        width, self._width = self._width, event.size.width
        if not self._size_known or width in (0, event.size.width):
            self.scroll_end(animate=False)  # a shorter log still shows its newest line
            return
        self.clear()
        for line in self._lines:
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
