"""The watch screen: a read-only live view of a session, built from its journal alone.

The same widgets as the console's session screen (gauges, hosts table, timeline), fed from the
journal file instead of the engine: a thread worker follows the file (`core.follow`), posting
what each poll found as an immutable message; the screen folds the events into a
`SessionState` (the one reducer) and hands each to the widgets, on the UI thread. It never opens
a connection and never queries a metrics source, so any number of people can watch. There is
no kill switch here: the screen says where to pull it.

With a directory instead of a file, the newest session that has not ended is followed, and the
view moves to the next session as soon as its journal appears.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, get_current_worker

from gameday.core.session import events as ev
from gameday.core.session.follow import Chunk, SessionFollower, Switched
from gameday.core.session.state import SessionState
from gameday.core.view import HostRow, SessionFacts, facts_of_journal, host_rows, probes_of
from gameday.core.wording import verdict_word
from gameday.ui.widgets.gauge import ProbeGauge
from gameday.ui.widgets.hosts import HostsTable
from gameday.ui.widgets.status import AlarmBanner, StatusLine
from gameday.ui.widgets.timeline import Timeline
from gameday.ui.workers import run_io

POLL = 0.25
"""Seconds between two reads of the journal (a bounded interval: polling, no inotify)."""
QUIET = 30.0
"""Seconds without a new line, in a session that has not ended, before the view says so."""
COMPACT_HEIGHT = 34
"""Below this many rows, gauges are drawn on one line each (as on the session screen)."""


@dataclass(frozen=True)
class WatchTarget:
    """What to watch: one journal file, or the newest running session of a directory."""

    journal: Path | None = None
    directory: Path | None = None

    @property
    def label(self) -> str:
        return str(self.journal or self.directory)


@dataclass
class JournalGrew(Message):
    """What one poll of the followed journal found (posted from the follower thread)."""

    path: Path
    chunk: Chunk


@dataclass
class SessionSwitched(Message):
    """The follower moved to another journal (`path`), or found none yet (None)."""

    path: Path | None


def stop_hint(session_id: str, ended: bool = False) -> str:
    """How to stop the session watched: the one thing this view cannot do."""
    if ended:
        return "Read-only view of a session that has ended."
    journal = f"{session_id}.jsonl" if session_id else "its journal"
    return (
        "Read-only. To stop the session: ctrl+k in the console, or gameday abort on the "
        f"console's machine ({journal} there)."
    )


class WatchScreen(Screen[None]):
    """`gameday watch`'s only screen; in the console, a session opened from the history
    (`closable`: escape goes back once no alarm waits)."""

    CSS_PATH = "watch.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "escape", "Acknowledge"),  # and back, when opened from the history
    ]

    def __init__(
        self,
        target: WatchTarget,
        *,
        now: Callable[[], float] = time.time,
        poll: float = POLL,
        closable: bool = False,
    ) -> None:
        super().__init__()
        self.target = target
        self.now = now
        self.poll = poll
        self.closable = closable
        self.follower: Worker[None] | None = None
        self.path: Path | None = None
        """The journal followed (None while waiting for a session to start)."""
        self.state = SessionState()
        """The fold of every event read so far (the same reducer as the console's)."""
        self.started: ev.SessionStarted | None = None
        self.plan_made: ev.PlanMade | None = None
        self.facts = SessionFacts()
        """Title, waves and phase lengths, from the journal's first lines."""
        self.verdict: str | None = None
        self.problems: list[str] = []
        """Lines of the journal that could not be read (skipped)."""
        self.last_event_at: float | None = None
        """Local time at which the last new event was read."""
        self.last_event_ts = 0.0
        """That event's own time, on the console's clock."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield StatusLine(id="status")
        yield AlarmBanner(id="alarm")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield VerticalScroll(id="gauges")
                yield Vertical(id="hosts-box")
            with Vertical(id="right"):
                yield Timeline(id="timeline")
        yield Static("", id="verdict")
        yield Static(stop_hint(""), id="stop-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#gauges").border_title = "Steady state"
        self.query_one("#hosts-box").border_title = "Hosts"
        self.query_one("#timeline").border_title = "Timeline"
        self._refresh_status()
        self.set_interval(1.0, self._refresh_status)
        self.follower = run_io(
            self, self._follow, group="watch", description=f"follow {self.target.label}"
        )

    def on_unmount(self) -> None:
        if self.follower is not None:  # the worker belongs to the app: stop it with the screen
            self.follower.cancel()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height < COMPACT_HEIGHT, "-compact")
        self._refresh_status()

    def action_escape(self) -> None:
        """Acknowledge the alarm on screen; with none, go back (when opened from the history)."""
        if self.query_one(AlarmBanner).acknowledge(self.state):
            return
        if self.closable:
            self.dismiss()

    # --- the follower (a thread worker) --------------------------------------------------------
    def _follow(self) -> None:
        """Poll the journal (and the directory) until the screen goes; post what is found."""
        cancelled = get_current_worker().cancelled_event
        source = SessionFollower(self.target.journal, self.target.directory, now=time.monotonic)
        self.post_message(SessionSwitched(source.start().path))
        while not cancelled.is_set():
            updates, more = source.poll()
            for update in updates:
                if isinstance(update, Switched):
                    self.post_message(SessionSwitched(update.path))
                else:
                    self.post_message(JournalGrew(update.path, update.chunk))
            if not more:
                cancelled.wait(self.poll)

    # --- what the follower found ----------------------------------------------------------------
    async def on_session_switched(self, message: SessionSwitched) -> None:
        await self._reset(message.path)

    async def on_journal_grew(self, message: JournalGrew) -> None:
        if message.path != self.path:
            return  # a poll of the previous session, read before the switch
        chunk = message.chunk
        if chunk.restarted:
            await self._reset(message.path)
        if message.chunk.missing:
            self.notify(f"{message.path}: cannot read the journal", severity="error")
        for problem in chunk.problems:
            self.problems.append(problem)
            self.notify(f"{message.path}: {problem}", title="Journal line skipped")
        for event in chunk.events:
            await self._apply(event)
        if chunk.events:
            self.last_event_at = self.now()
            self.last_event_ts = chunk.events[-1].ts
            self._draw()

    async def _reset(self, path: Path | None) -> None:
        """Start a new view: another session (or the same file, rewritten)."""
        self.path = path
        self.state, self.started, self.facts = SessionState(), None, SessionFacts()
        self.plan_made = None
        self.verdict, self.last_event_at, self.last_event_ts = None, None, 0.0
        self.problems = []
        await self.query_one("#gauges").remove_children()
        await self.query_one("#hosts-box").remove_children()
        timeline = self.query_one(Timeline)
        timeline.reset()
        timeline.border_subtitle = f"journal: {path}" if path else ""
        self.query_one(AlarmBanner).acknowledged.clear()
        self._draw()
        if path is None:
            self.sub_title = f"waiting for a session to start in {self.target.directory}"
        else:
            self.sub_title = f"watching {path}"

    async def _apply(self, event: ev.Event) -> None:
        """Fold one event and hand it to the timeline; the rest is drawn once per batch."""
        self.state.apply(event)
        if isinstance(event, ev.SessionStarted):
            self.started, self.facts = event, facts_of_journal(event)
            gauges = [ProbeGauge(p, id=f"gauge-{i}") for i, p in enumerate(probes_of(event))]
            await self.query_one("#gauges").mount_all(gauges)
        elif isinstance(event, ev.PlanMade):
            self.facts = facts_of_journal(self.started, event)
            self.plan_made = event
            await self._mount_hosts(host_rows(self.started, event))
        elif isinstance(event, ev.LadderPlanned) and self.plan_made is not None:
            # Right after plan_made: the rows say at which stage each host joins.
            self.facts = facts_of_journal(self.started, self.plan_made, event)
            await self._mount_hosts(host_rows(self.started, self.plan_made, event))
        elif isinstance(event, ev.VerdictReached):
            self.verdict = f"VERDICT: {verdict_word(event.verdict)} — {event.reason}"
        self.query_one(Timeline).add(event)

    async def _mount_hosts(self, rows: tuple[HostRow, ...]) -> None:
        box = self.query_one("#hosts-box")
        await box.remove_children()
        await box.mount(HostsTable(rows, id="hosts"))

    # --- display -------------------------------------------------------------------------------
    def _draw(self) -> None:
        state = self.state
        for gauge in self.query(ProbeGauge):
            name = gauge.probe.name
            gauge.show(state.samples.get(name, []))
        for table in self.query(HostsTable):
            table.show(state)
        self.query_one(AlarmBanner).show(state)
        panel = self.query_one("#verdict", Static)
        panel.update(self.verdict or "")
        panel.set_class(self.verdict is not None, "-visible")
        panel.set_class(state.verdict == "held", "-held")
        self._refresh_status()

    def _refresh_status(self) -> None:
        status = self.query_one(StatusLine)
        if self.path is None:
            status.update("waiting for a session to start…")
        elif self.started is None:
            status.update(f"reading {self.path.name}…")
        else:
            ended = self.state.ended_at is not None
            status.show(self.state, self.facts, self._session_now(), ended)
        quiet = self._quiet_text()
        hint = self.query_one("#stop-hint", Static)
        hint.update(quiet or stop_hint(self.state.session_id, self.state.ended_at is not None))
        hint.set_class(bool(quiet), "-quiet")

    def _session_now(self) -> float:
        """The console's clock, estimated from its last line and the time since it was read:
        the watcher's own clock may be skewed (another machine) or run at another pace."""
        if self.last_event_at is None:
            return self.last_event_ts
        return self.last_event_ts + max(0.0, self.now() - self.last_event_at)

    def _quiet_text(self) -> str:
        """A session that stopped writing is said, not shown as frozen in time."""
        if self.state.ended_at is not None or self.last_event_at is None:
            return ""
        quiet = self.now() - self.last_event_at
        if quiet < QUIET:
            return ""
        return (
            f"No new line in the journal for {quiet:.0f} s: the console may be busy, stopped or "
            "cut off. " + stop_hint(self.state.session_id)
        )
