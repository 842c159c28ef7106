"""The session screen: phase and time left, a gauge per probe, the hosts, the timeline, notes,
the kill switch's progress and the verdict.

Engine events arrive as `EngineEvent` messages (posted from engine threads by the runner) and
are applied here, on the UI thread; nothing on this screen blocks. Notes are journaled by a
worker. The kill switch itself is an App binding (it works on every screen); this screen only
shows its progress.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from gameday.core import events as ev
from gameday.core.roles import note_author
from gameday.ui.backend import Backend
from gameday.ui.messages import EngineEvent, LadderQuestion, SessionFailed, SessionFinished
from gameday.ui.notes import NoteError, parse_note
from gameday.ui.runner import SessionRunner
from gameday.ui.screens.confirm import ConfirmScreen
from gameday.ui.widgets.gauge import ProbeGauge
from gameday.ui.widgets.hosts import HostsTable
from gameday.ui.widgets.timeline import Timeline
from gameday.ui.workers import run_io

if TYPE_CHECKING:
    from gameday.engine.ports import StageReport
    from gameday.ui.screens.findings import FindingsScreen

TIMED_PHASES = ("warmup", "monitor", "cooldown")
NOTE_HELP = (
    "note… (@name: who speaks; !impact !went_well !went_wrong !lucky; "
    "!action @owner due:YYYY-MM-DD …)"
)


class SessionScreen(Screen[None]):
    CSS_PATH = "session.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+o", "findings", "Findings"),
        Binding("escape", "back", "Plans"),
    ]

    def __init__(self, runner: SessionRunner, backend: Backend) -> None:
        super().__init__()
        self.runner = runner
        self.backend = backend
        self.plan = runner.plan
        self.phase: ev.Phase | None = None
        """The engine's current phase (None before the first event)."""
        self.phase_started: float | None = None
        self.wave = 0
        """1-based number of the wave being injected or watched (0 before the first)."""
        self.verdict: str | None = None
        """The verdict line once known (also "not started: …" after a failed preflight)."""
        self.kill_state = ""
        """Empty, "reverting" (pulled, waiting for the hosts) or "done"."""
        self.left_steady_state: list[str] = []
        """Probes that crossed a threshold while faults were on (the hypothesis is in doubt)."""
        self.watched = False
        """True once a monitor phase began: from then on the status says whether it holds."""
        self.stage = 0
        """The ladder's current stage (0 before the first, or without a ladder)."""
        self.ladder_prompt: ConfirmScreen | None = None
        """The open go/no-go question, if any."""
        self.asking_for: int | None = None
        """The stage whose go/no-go is on screen."""

    def post_event(self, event: ev.Event) -> None:
        """Thread-safe: the runner calls this from engine threads."""
        self.post_message(EngineEvent(event))

    def post_ladder_question(self, report: StageReport) -> None:
        """Thread-safe: the session thread asks the owner for a go/no-go."""
        self.post_message(LadderQuestion(report))

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self._status_text(), id="status")
        yield Static("", id="kill-banner")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                with VerticalScroll(id="gauges"):
                    for probe in self.plan.scenario.steady_state.probes:
                        yield ProbeGauge(probe, id=f"gauge-{probe.name}")
                yield HostsTable(self.plan, id="hosts")
            with Vertical(id="right"):
                yield Timeline(id="timeline")
                yield Input(placeholder=NOTE_HELP, id="note")
        yield Static("", id="verdict")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#gauges").border_title = "Steady state"
        self.query_one("#hosts").border_title = "Hosts"
        self.query_one("#timeline").border_title = "Timeline"
        self.query_one("#note", Input).focus()
        self.set_interval(1.0, self._refresh_status)

    # --- engine events ------------------------------------------------------------------------
    def on_engine_event(self, message: EngineEvent) -> None:
        event = message.event
        if isinstance(event, ev.SessionStarted):
            self.query_one(Timeline).border_subtitle = f"journal: {self.runner.journal_path}"
        if isinstance(event, ev.PhaseChanged):
            self.phase, self.phase_started = event.phase, event.ts
            if event.phase == "inject":
                self.wave += 1
            self.watched = self.watched or event.phase == "monitor"
            self._refresh_status()
        elif isinstance(event, ev.ThresholdCrossed):
            if self.phase == "monitor" and not event.recovered:
                if event.probe not in self.left_steady_state:
                    self.left_steady_state.append(event.probe)
                self._refresh_status()
        elif isinstance(event, ev.ProbeSampled):
            gauge = self.query_one(f"#gauge-{event.probe}", ProbeGauge)
            gauge.add(event.value, event.ok, event.detail)
        elif isinstance(event, ev.StageStarted):
            self.stage = event.stage
            self._refresh_status()
        elif isinstance(event, ev.KillSwitchPulled):
            self.show_kill_pending(event.source)
            self._close_ladder_prompt()
        elif isinstance(event, ev.LadderDecided | ev.AbortTriggered):
            self._close_ladder_prompt()
        elif isinstance(event, ev.KillSwitchDone):
            self._kill_done(event)
        elif isinstance(event, ev.VerdictReached):
            self._show_verdict(event.verdict, event.reason)
        elif isinstance(event, ev.NotificationFailed):
            self.notify(
                f"{event.event} to {event.target}: {event.reason}",
                title="Notification not delivered",
                severity="warning",
            )
        self.query_one(HostsTable).apply(event)
        self.query_one(Timeline).add(event)

    # --- the ladder's go/no-go ------------------------------------------------------------------
    def on_ladder_question(self, message: LadderQuestion) -> None:
        report = message.report
        self._close_ladder_prompt()
        nxt = report.stage + 1
        question = f"Stage {report.stage} of {report.of} held. Go to stage {nxt}?"
        decider = report.owner or self.backend.author
        role = f" ({report.owner_role})" if report.owner and report.owner_role else ""
        detail = (
            f"{report.summary}\n\nStage {nxt} of {report.of}: {len(report.next_hosts)} hosts, "
            f"joining: {', '.join(report.joining)}.\nThe owner decides: {decider}{role}. "
            "No-go ends the ladder here; the kill switch (ctrl+k) works at any time."
        )
        prompt = ConfirmScreen(question, detail, yes=f"Go: stage {nxt}", no="Stop here")
        self.ladder_prompt, self.asking_for = prompt, report.stage

        def answered(go: bool | None) -> None:
            if self.asking_for != report.stage:
                return  # closed by the kill switch or the time limit, not by the owner
            self.ladder_prompt = self.asking_for = None
            self.runner.answer_ladder(report.stage, bool(go))

        self.app.push_screen(prompt, answered)
        self._refresh_status()

    def _close_ladder_prompt(self) -> None:
        prompt, self.ladder_prompt, self.asking_for = self.ladder_prompt, None, None
        # Only the top screen can be dismissed; a prompt under another dialog stays, and its
        # answer is ignored (`asking_for` is cleared).
        if prompt is not None and self.app.screen is prompt:
            prompt.dismiss(False)

    def on_session_finished(self, message: SessionFinished) -> None:
        self._close_ladder_prompt()
        if message.verdict is None:
            self._show_verdict(None, message.reason)
        self.phase = "done"
        self._refresh_status()

    def on_session_failed(self, message: SessionFailed) -> None:
        self._show_verdict(None, f"the session stopped: {message.reason}")
        self._refresh_status()

    # --- kill switch --------------------------------------------------------------------------
    def show_kill_pending(self, source: str = "keypress") -> None:
        """Say at once that the kill switch is pulled; the hosts' outcomes follow."""
        if self.kill_state:
            return
        self.kill_state = "reverting"
        banner = self.query_one("#kill-banner", Static)
        banner.update(f"KILL SWITCH ({source}): reverting every fault on every host…")
        banner.add_class("-visible")

    def _kill_done(self, event: ev.KillSwitchDone) -> None:
        self.kill_state = "done"
        outcomes = ", ".join(f"{h}: {o}" for h, o in sorted(event.hosts.items()))
        banner = self.query_one("#kill-banner", Static)
        banner.update(
            f"KILL SWITCH: done in {event.latency * 1000:.0f} ms — "
            + (outcomes or "nothing was active on any host")
        )
        banner.add_class("-visible")
        banner.set_class(any(o != "clean" for o in event.hosts.values()), "-unconfirmed")

    # --- notes --------------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "note":
            return
        try:
            note = parse_note(event.value)
        except NoteError as exc:
            self.notify(str(exc), title="Note not added", severity="warning")
            return
        people = self.backend.team.roles
        if note.author and people and note.author not in people:
            self.notify(
                f"{note.author} is not in this GameDay's team: " + ", ".join(people),
                title="Note not added",
                severity="warning",
            )
            return
        event.input.clear()
        author = note.author or note_author(people, self.backend.author)
        self.runner.queue_note(author, note)
        run_io(
            self,
            self.runner.write_queued_notes,
            group="notes",
            description="write a note to the journal",
        )

    # --- navigation ---------------------------------------------------------------------------
    def action_findings(self) -> None:
        path = self.runner.journal_path
        if not self.runner.ended or path is None:
            self.notify("The findings are ready once the session has ended.", severity="warning")
            return
        from gameday.ui.screens.findings import FindingsScreen

        screen: FindingsScreen = FindingsScreen(path, self.backend.export_dir)
        self.app.push_screen(screen)

    def action_back(self) -> None:
        if self.runner.started and not self.runner.ended:
            self.notify(
                "A session is running: wait for its verdict, or pull the kill switch (ctrl+k).",
                severity="warning",
            )
            return
        self.dismiss()

    # --- display ------------------------------------------------------------------------------
    def _show_verdict(self, verdict: str | None, reason: str) -> None:
        text = (
            f"VERDICT: {verdict.replace('_', ' ').upper()} — {reason}"
            if verdict
            else f"NOT STARTED — {reason}"
        )
        self.verdict = text
        panel = self.query_one("#verdict", Static)
        panel.update(text)
        panel.add_class("-visible")
        panel.set_class(verdict == "held", "-held")

    def _refresh_status(self) -> None:
        self.query_one("#status", Static).update(self._status_text())

    def _status_text(self) -> str:
        scenario = self.plan.scenario
        waves = len(self.plan.selection.waves)
        stages = len(self.plan.selection.stages)
        phase = self.phase or "opening"
        text = f"{scenario.title}   phase: {phase}"
        if self.asking_for is not None:
            text += f" (stage {self.asking_for}/{stages} held: go or no-go?)"
        elif self.stage and phase in ("inject", "monitor", "revert"):
            text += f" (stage {self.stage}/{stages})"
        elif self.wave and not stages and phase in ("inject", "monitor", "revert"):
            text += f" (wave {self.wave}/{waves})"
        if self.left_steady_state:
            text += "   steady state LEFT: " + ", ".join(self.left_steady_state)
        elif self.watched:
            text += "   steady state holding"
        left = self._time_left()
        if left is not None:
            minutes, seconds = divmod(int(left + 0.999), 60)
            text += f"   time left: {minutes:02}:{seconds:02}"
        return text

    def _time_left(self) -> float | None:
        if self.phase not in TIMED_PHASES or self.phase_started is None:
            return None
        schedule = self.plan.scenario.schedule
        length = {
            "warmup": schedule.warmup,
            "monitor": schedule.duration,
            "cooldown": schedule.cooldown,
        }[self.phase]
        return max(0.0, self.phase_started + length - self.backend.now())
