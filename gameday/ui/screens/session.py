"""The session screen: the status line and the alarm banner, a gauge per probe, the hosts, the
timeline, notes and the verdict.

Engine events arrive as `EngineEvent` messages (posted from engine threads by the runner). The
screen folds each into its own `SessionState` (the engine's reducer, on the UI thread) and the
status line, the banner, the hosts table and the gauges render that one state (the first three
once per burst of events): no widget keeps
a vocabulary or a count of its own, so no word goes stale when the state changes. The kill
switch itself is an App binding (it works on every screen); this screen shows its progress.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from gameday.core.roles import note_author
from gameday.core.session import events as ev
from gameday.core.session.state import SessionState
from gameday.core.view import facts_of_plan
from gameday.core.wording import verdict_word
from gameday.ui.backend import Backend
from gameday.ui.kept_keys import KeptKeys
from gameday.ui.messages import EngineEvent, LadderQuestion, SessionFailed, SessionFinished
from gameday.ui.notes import NoteError, parse_note
from gameday.ui.runner import SessionRunner
from gameday.ui.screens.confirm import ConfirmScreen
from gameday.ui.widgets.gauge import ProbeGauge
from gameday.ui.widgets.hosts import HostsTable
from gameday.ui.widgets.note_input import NoteInput
from gameday.ui.widgets.status import AlarmBanner, StatusLine
from gameday.ui.widgets.timeline import Timeline
from gameday.ui.workers import run_io

if TYPE_CHECKING:
    from gameday.engine.ports import StageReport
    from gameday.ui.screens.findings import FindingsScreen

NOTE_HELP = (
    "note… (@name: who speaks; !impact !went_well !went_wrong !lucky; "
    "!action @owner due:YYYY-MM-DD …)"
)
COMPACT_HEIGHT = 34
"""Below this many rows, gauges are drawn on one line each."""
WIDE_WIDTH = 140
"""From this many columns the gauges and hosts get three fifths of the width."""


CONFIRMERS = ("lease", "recover")
"""Who journals a revert after the session: the background confirm of unconfirmed hosts."""


class SessionScreen(Screen[None]):
    CSS_PATH = "session.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+o", "findings", "Findings"),
        Binding("escape", "escape", "Acknowledge / back"),
    ]

    def __init__(self, runner: SessionRunner, backend: Backend, kept_keys: KeptKeys) -> None:
        super().__init__()
        self.runner = runner
        self.backend = backend
        self.kept_keys = kept_keys
        """The keys typed after the start was confirmed, for the note box."""
        self.plan = runner.plan
        self.state = SessionState()
        """The session as this screen knows it: the engine's fold of the events it received."""
        self.ended = False
        """True once the session worker returned (or failed)."""
        self.verdict: str | None = None
        """The verdict line once known (also "NOT STARTED — …" after a failed preflight)."""
        self.kill_state = ""
        """Empty, "reverting" (pulled, waiting for the hosts) or "done"."""
        self._kill_source: str | None = None
        """Who pulled the kill switch before this screen was up (said on mount)."""
        self.ladder_prompt: ConfirmScreen | None = None
        """The open go/no-go question, if any."""
        self.asking_for: int | None = None
        """The stage whose go/no-go is on screen."""
        self._redraw_due = False

    @property
    def phase(self) -> ev.Phase | None:
        return "done" if self.ended else self.state.phase

    @property
    def stage(self) -> int:
        """The ladder's current stage (0 before the first, or without a ladder)."""
        return self.state.stage

    def post_event(self, event: ev.Event) -> None:
        """Thread-safe: the runner calls this from engine threads."""
        self.post_message(EngineEvent(event))

    def post_ladder_question(self, report: StageReport) -> None:
        """Thread-safe: the session thread asks the owner for a go/no-go."""
        self.post_message(LadderQuestion(report))

    def compose(self) -> ComposeResult:
        yield Header()
        yield StatusLine(id="status")
        yield AlarmBanner(id="alarm")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                with VerticalScroll(id="gauges"):
                    for probe in self.plan.scenario.steady_state.probes:
                        yield ProbeGauge(probe, id=f"gauge-{probe.name}")
                yield HostsTable(self.plan, id="hosts")
            with Vertical(id="right"):
                yield Timeline(id="timeline")
                # never select on focus: the kept keys of a start, or a draft, are typed on
                yield NoteInput(placeholder=NOTE_HELP, id="note", select_on_focus=False)
        yield Static("", id="verdict")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#gauges").border_title = "Steady state"
        self.query_one("#hosts").border_title = "Hosts"
        self.query_one("#timeline").border_title = "Timeline"
        note = self.query_one("#note", Input)
        note.focus()
        if self._kill_source is not None:
            self.query_one(AlarmBanner).pending_kill(self._kill_source)
        self.kept_keys.hand_to(note, self)  # typed after the start was confirmed: the note's
        self._refresh_status()
        self.set_interval(1.0, self._refresh_status)

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height < COMPACT_HEIGHT, "-compact")
        self.set_class(event.size.width >= WIDE_WIDTH, "-wide")
        self._refresh_status()

    # --- engine events ------------------------------------------------------------------------
    def on_engine_event(self, message: EngineEvent) -> None:
        event = message.event
        self.state.apply(event)
        if isinstance(event, ev.SessionStarted):
            self.query_one(Timeline).border_subtitle = f"journal: {self.runner.journal_path}"
        elif isinstance(event, ev.ProbeSampled):
            self._show_gauge(event.probe)
        elif isinstance(event, ev.KillSwitchPulled):
            self.kill_state = self.kill_state or "reverting"
            self._close_ladder_prompt()
        elif isinstance(event, ev.LadderDecided | ev.AbortTriggered):
            self._close_ladder_prompt()
        elif isinstance(event, ev.KillSwitchDone):
            self.kill_state = "done"
        elif isinstance(event, ev.VerdictReached):
            self._show_verdict(event.verdict, event.reason)
        elif isinstance(event, ev.FaultReverted) and event.verified and event.by in CONFIRMERS:
            # the background confirm reached a host the session left unconfirmed
            self.notify(f"{event.host}: {event.fault_id} {event.detail or 'confirmed reverted'}")
        elif isinstance(event, ev.NotificationFailed):
            self.notify(
                f"{event.event} to {event.target}: {event.reason}",
                title="Notification not delivered",
                severity="warning",
            )
        self.query_one(Timeline).add(event)
        if not self._redraw_due:  # once per burst: after the events already queued
            self._redraw_due = True
            self.call_later(self._redraw)

    def _redraw(self) -> None:
        """What renders the whole state (hosts, banner, status line), once for a burst of
        events: a poll's 20 samples arrive together, and a key typed meanwhile should not wait
        for 20 redraws of the hosts table."""
        self._redraw_due = False
        self.query_one(HostsTable).show(self.state)
        self.query_one(AlarmBanner).show(self.state)
        self._refresh_status()

    def _show_gauge(self, probe: str) -> None:
        gauge = self.query_one(f"#gauge-{probe}", ProbeGauge)
        gauge.show(self.state.samples.get(probe, []))

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
        self.ended = True
        self._end_gauges()
        self._close_ladder_prompt()
        if message.verdict is None:
            self._show_verdict(None, message.reason)
        self.query_one(HostsTable).show(self.state)
        self.query_one(AlarmBanner).show(self.state)
        self._refresh_status()

    def on_session_failed(self, message: SessionFailed) -> None:
        self.ended = True
        self._end_gauges()
        self._show_verdict(None, f"the session stopped: {message.reason}")
        self._refresh_status()
        if self.runner.unjournaled:  # written as it opened: no journal to take them
            self.notify(
                "\n".join(self.runner.unjournaled),
                title="Notes not journaled (the session did not start)",
                severity="warning",
                timeout=60,
            )

    def _end_gauges(self) -> None:
        for gauge in self.query(ProbeGauge):
            gauge.end()

    # --- kill switch --------------------------------------------------------------------------
    def show_kill_pending(self, source: str = "keypress") -> None:
        """Say at once that the kill switch is pulled; the hosts' outcomes follow."""
        if self.kill_state:
            return
        self.kill_state = "reverting"
        if self.is_mounted:
            self.query_one(AlarmBanner).pending_kill(source)
        else:  # pulled as the session starts: said once the screen is up
            self._kill_source = source

    def action_escape(self) -> None:
        """Acknowledge the alarm on screen; with none, go back to the scenarios."""
        if self.query_one(AlarmBanner).acknowledge(self.state):
            return
        self.action_back()

    # --- notes --------------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        box = event.input
        if not isinstance(box, NoteInput):
            return
        if self.runner.ended and self.runner.journal_path is None:
            box.give_back(event.value, "the session did not start: no journal to keep notes")
            return
        try:
            note = parse_note(event.value)
        except NoteError as exc:
            box.give_back(event.value, str(exc))
            return
        people = self.backend.team.roles
        if note.author and people and note.author not in people:
            why = f"{note.author} is not in this GameDay's team: " + ", ".join(people)
            box.give_back(event.value, why)
            return
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

    def action_export(self) -> None:
        """Open the findings and export them at once (the palette's "Export findings")."""
        self.action_findings()
        screen = self.app.screen
        if screen is not self and hasattr(screen, "export_when_ready"):
            screen.export_when_ready = True

    def action_back(self) -> None:
        if self.runner.started and not self.runner.ended:
            self.notify(
                "A session is running: wait for its verdict, or pull the kill switch (ctrl+k).",
                severity="warning",
            )
            return
        self.dismiss()

    # --- display ------------------------------------------------------------------------------
    def _show_verdict(self, verdict: ev.Verdict | None, reason: str) -> None:
        text = (
            f"VERDICT: {verdict_word(verdict)} — {reason}" if verdict else f"NOT STARTED — {reason}"
        )
        self.verdict = text
        panel = self.query_one("#verdict", Static)
        panel.update(text)
        panel.add_class("-visible")
        panel.set_class(verdict == "held", "-held")

    def _refresh_status(self) -> None:
        question = ""
        if self.asking_for is not None:
            question = f"stage {self.asking_for}/{self.state.stages} held: go or no-go?"
        self.query_one(StatusLine).show(
            self.state, facts_of_plan(self.plan), self.backend.now(), self.ended, question
        )
