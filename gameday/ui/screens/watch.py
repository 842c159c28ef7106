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

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, get_current_worker

from gameday.core import events as ev
from gameday.core.follow import Chunk, SessionFollower, Switched
from gameday.core.state import SessionState
from gameday.core.view import HostRow, SessionFacts, facts_of_journal, host_rows, probes_of
from gameday.ui.widgets.gauge import ProbeGauge
from gameday.ui.widgets.hosts import HostsTable
from gameday.ui.widgets.timeline import Timeline
from gameday.ui.workers import run_io

POLL = 0.25
"""Seconds between two reads of the journal (a bounded interval: polling, no inotify)."""
QUIET = 30.0
"""Seconds without a new line, in a session that has not ended, before the view says so."""
WAVE_PHASES = ("inject", "monitor", "revert")


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
        "Read-only view: it cannot stop the session. To stop it: ctrl+k in the facilitator's "
        "console, or on the console's machine: gameday abort "
        f"(or gameday abort <path to {journal}>)"
    )


class WatchScreen(Screen[None]):
    """`gameday watch`'s only screen; in the console, a session opened from the history
    (`closable`: escape goes back)."""

    CSS_PATH = "watch.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back")]

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
        self.phase_started: float | None = None
        self.wave = 0
        self.waves = 0
        self.left_steady_state: list[str] = []
        """Probes that crossed a threshold while faults were on."""
        self.watched = False
        """True once a monitor phase began: from then on the status says whether it holds."""
        self.alarms: list[str] = []
        """What stopped or endangers the session, in order (shown in the banner)."""
        self.verdict: str | None = None
        self.problems: list[str] = []
        """Lines of the journal that could not be read (skipped)."""
        self.last_event_at: float | None = None
        """Local time at which the last new event was read."""
        self.last_event_ts = 0.0
        """That event's own time, on the console's clock."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self._status_text(), id="status")
        yield Static("", id="alarm-banner")
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
        self.set_interval(1.0, self._refresh_status)
        self.follower = run_io(
            self, self._follow, group="watch", description=f"follow {self.target.label}"
        )

    def on_unmount(self) -> None:
        if self.follower is not None:  # the worker belongs to the app: stop it with the screen
            self.follower.cancel()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.closable if action == "back" else True

    def action_back(self) -> None:
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
        if message.chunk.restarted:
            await self._reset(message.path)
        if message.chunk.missing:
            self.notify(f"{message.path}: cannot read the journal", severity="error")
        for problem in message.chunk.problems:
            self.problems.append(problem)
            self.notify(f"{message.path}: {problem}", title="Journal line skipped")
        for event in message.chunk.events:
            await self._show(event)
        if any(isinstance(e, ev.SessionEnded) for e in message.chunk.events):
            hint = stop_hint(self.state.session_id, ended=True)
            self.query_one("#stop-hint", Static).update(hint)
        if message.chunk.events:
            self.last_event_at = self.now()
            self.last_event_ts = message.chunk.events[-1].ts
        self._refresh_status()

    async def _reset(self, path: Path | None) -> None:
        """Start a new view: another session (or the same file, rewritten)."""
        self.path = path
        self.state = SessionState()
        self.started, self.phase_started, self.verdict = None, None, None
        self.facts, self.plan_made = SessionFacts(), None
        self.wave, self.waves, self.last_event_at, self.watched = 0, 0, None, False
        self.left_steady_state, self.alarms, self.problems = [], [], []
        await self.query_one("#gauges").remove_children()
        await self.query_one("#hosts-box").remove_children()
        timeline = self.query_one(Timeline)
        timeline.clear()
        timeline.entries.clear()
        timeline.border_subtitle = f"journal: {path}" if path else ""
        self._show_alarms()
        self._show_verdict()
        self.query_one("#stop-hint", Static).update(stop_hint(""))
        if path is None:
            self.sub_title = f"waiting for a session to start in {self.target.directory}"
        else:
            self.sub_title = f"watching {path}"
        self._refresh_status()

    async def _show(self, event: ev.Event) -> None:
        self.state.apply(event)
        if isinstance(event, ev.SessionStarted):
            await self._session_started(event)
        elif isinstance(event, ev.PlanMade):
            self.waves = len(event.waves)
            self.facts = facts_of_journal(self.started, event)
            self.plan_made = event
            await self._mount_hosts(host_rows(self.started, event))
        elif isinstance(event, ev.LadderPlanned) and self.plan_made is not None:
            # Right after plan_made: the rows say at which stage each host joins.
            self.facts = facts_of_journal(self.started, self.plan_made, event)
            await self._mount_hosts(host_rows(self.started, self.plan_made, event))
        elif isinstance(event, ev.PhaseChanged):
            self._phase(event)
        elif isinstance(event, ev.ThresholdCrossed):
            self._crossed(event)
        elif isinstance(event, ev.ProbeSampled):
            self._sampled(event)
        elif isinstance(event, ev.VerdictReached):
            name = event.verdict.replace("_", " ").upper()
            self.verdict = f"VERDICT: {name} — {event.reason}"
            self._show_verdict(held=event.verdict == "held")
        self._alarm(event)
        for table in self.query(HostsTable):
            table.apply(event)
        self.query_one(Timeline).add(event)

    async def _session_started(self, event: ev.SessionStarted) -> None:
        self.started = event
        self.facts = facts_of_journal(event)
        gauges = [ProbeGauge(probe, id=f"gauge-{i}") for i, probe in enumerate(probes_of(event))]
        await self.query_one("#gauges").mount_all(gauges)
        self.query_one("#stop-hint", Static).update(stop_hint(event.session_id))

    def _phase(self, event: ev.PhaseChanged) -> None:
        self.phase_started = event.ts
        if event.phase == "inject":
            self.wave += 1
        self.watched = self.watched or event.phase == "monitor"

    def _crossed(self, event: ev.ThresholdCrossed) -> None:
        left = self.state.phase == "monitor" and not event.recovered
        if left and event.probe not in self.left_steady_state:
            self.left_steady_state.append(event.probe)

    def _sampled(self, event: ev.ProbeSampled) -> None:
        for gauge in self.query(ProbeGauge):
            if gauge.probe.name == event.probe:
                gauge.add(event.value, event.ok, event.detail)

    def _alarm(self, event: ev.Event) -> None:
        """The alarms a room must not miss: the same facts as the console's banner."""
        text = ""
        if isinstance(event, ev.AbortTriggered):
            text = f"ABORT: {event.rule}: {event.reason}"
        elif isinstance(event, ev.KillSwitchPulled):
            text = f"KILL SWITCH pulled ({event.source}): every fault is being reverted"
        elif isinstance(event, ev.KillSwitchDone):
            outcomes = ", ".join(f"{h}: {o}" for h, o in sorted(event.hosts.items()))
            done = outcomes or "nothing was active on any host"
            text = f"KILL SWITCH done in {event.latency * 1000:.0f} ms — {done}"
        elif isinstance(event, ev.FaultReverted) and not event.verified:
            text = f"REVERT UNCONFIRMED on {event.host}: a human must look at the host"
        if text:
            self.alarms.append(text)
            self._show_alarms()

    async def _mount_hosts(self, rows: tuple[HostRow, ...]) -> None:
        box = self.query_one("#hosts-box")
        await box.remove_children()
        await box.mount(HostsTable(rows, id="hosts"))

    # --- display -------------------------------------------------------------------------------
    def _show_alarms(self) -> None:
        banner = self.query_one("#alarm-banner", Static)
        banner.update("\n".join(self.alarms))
        banner.set_class(bool(self.alarms), "-visible")

    def _show_verdict(self, *, held: bool = False) -> None:
        panel = self.query_one("#verdict", Static)
        panel.update(self.verdict or "")
        panel.set_class(self.verdict is not None, "-visible")
        panel.set_class(held, "-held")

    def _refresh_status(self) -> None:
        self.query_one("#status", Static).update(self._status_text())

    def _status_text(self) -> str:
        state = self.state
        if self.path is None:
            return "waiting for a session to start…"
        if self.started is None:
            return f"reading {self.path.name}…"
        phase = "ended" if state.ended_at is not None else state.phase or "opening"
        text = f"{state.title}   phase: {phase}"
        if self.wave and state.phase in WAVE_PHASES and state.ended_at is None:
            text += f" (wave {self.wave}/{self.waves})"
        if self.left_steady_state:
            text += "   steady state LEFT: " + ", ".join(self.left_steady_state)
        elif self.watched:
            text += "   steady state holding"
        left = self._time_left()
        if left is not None:
            minutes, seconds = divmod(int(left + 0.999), 60)
            text += f"   time left: {minutes:02}:{seconds:02}"
        return text + self._quiet_text()

    def _time_left(self) -> float | None:
        length = self.facts.phase_length(self.state.phase)
        if length is None or self.phase_started is None or self.state.ended_at is not None:
            return None
        return max(0.0, self.phase_started + length - self._session_now())

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
        return f"   no new line for {quiet:.0f}s" if quiet >= QUIET else ""
