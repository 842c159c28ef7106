"""One session's life in the console, driven from worker threads; no Textual here.

`run()` opens the session through the backend (connections, journal), runs it to its verdict
and releases everything; `kill()` pulls the kill switch, also while the session is still being
opened (it is pulled the moment the session exists); `add_note()` journals a note, also after
the verdict (appended to the finished journal, for the retrospective). Every method blocks:
call them from workers, never from the UI thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from gameday.core.session import events as ev
from gameday.errors import GamedayError
from gameday.exit_codes import ExitCode
from gameday.ui.backend import Backend, OpenedSession
from gameday.ui.notes import NoteDraft

if TYPE_CHECKING:  # the engine is imported when a session opens, not before the first frame
    from gameday.core.plan import Plan
    from gameday.engine.ports import StageReport
    from gameday.engine.session import SessionResult
    from gameday.ui.ladder_gate import ConsoleGate


class NotReady(GamedayError):
    title = "Not yet"


class CannotOpen(GamedayError):
    title = "Cannot open the session"


class SessionRunner:
    def __init__(self, backend: Backend, plan: Plan) -> None:
        self.backend = backend
        self.plan = plan
        self.on_event: Callable[[ev.Event], None] = lambda _event: None
        """Called from engine threads with each journaled event (must be thread-safe)."""
        self.on_ladder_question: Callable[[StageReport], None] = lambda _report: None
        """Called from the session thread when a stage held and the owner must say go or
        no-go (must be thread-safe); answer with `answer_ladder`."""
        from gameday.ui.ladder_gate import ConsoleGate  # a runner exists once a session starts

        self.gate: ConsoleGate = ConsoleGate(self._ask_ladder, backend.author)
        self.result: SessionResult | None = None
        """Set when `run()` returned."""
        self._opened: OpenedSession | None = None
        self._lock = threading.Lock()
        self._started = threading.Event()
        self._ended = threading.Event()
        self._kill_requested = threading.Event()
        self._notes: queue.Queue[tuple[str, NoteDraft]] = queue.Queue()
        self._notes_lock = threading.Lock()
        self._journaling = threading.Event()
        """Set once the session's first event is journaled: notes may follow it."""
        self.unjournaled: list[str] = []
        """Notes written while a session was opening that then never started (no journal)."""
        self.stop_confirming = threading.Event()
        """Set to end the background confirm of unconfirmed hosts (else: while the console
        runs)."""

    @property
    def started(self) -> bool:
        return self._started.is_set()

    @property
    def ended(self) -> bool:
        """True once the session ran to its end (or failed to start) and was closed."""
        return self._ended.is_set()

    @property
    def running(self) -> bool:
        return self.started and not self.ended

    @property
    def journal_path(self) -> Path | None:
        with self._lock:
            return self._opened.journal_path if self._opened else None

    def run(self) -> SessionResult:
        """Open, run and close the session (blocks for the whole session)."""
        self._started.set()
        opened: OpenedSession | None = None
        try:
            try:
                opened = self.backend.open(self.plan)
            except OSError as exc:  # a journal folder that cannot be written, a full disk
                where = f"{exc.filename}: " if exc.filename else ""
                raise CannotOpen(f"{where}{exc.strerror or exc}") from None
            opened.session.subscribe(self._forward)
            opened.session.subscribe(self._first_event)
            opened.session.ladder_gate = self.gate
            with self._lock:
                self._opened = opened
            if self._kill_requested.is_set():
                session = opened.session

                def pull_at_start(event: ev.Event) -> None:
                    # Right after the session's first event, so the journal reads in order.
                    if isinstance(event, ev.SessionStarted):
                        session.kill_switch("keypress", "pulled while the session was opening")

                session.subscribe(pull_at_start)
            self.result = opened.session.run()
            return self.result
        finally:
            with self._lock:
                if opened is not None:
                    opened.close()
                self._ended.set()
            if not self._journaling.is_set():
                self.unjournaled = [note.text for _, note in self._take_queued()]
            if opened is not None and self.result is not None:
                self._confirm_in_background(opened, self.result)

    def _confirm_in_background(self, opened: OpenedSession, result: SessionResult) -> None:
        """Hosts left unconfirmed are retried (bounded, with backoff) while the console runs;
        a success is journaled and shown: *confirmed clean (reverted by the host's lease)*."""
        confirm = opened.confirm
        if confirm is None or result.exit_code != ExitCode.REVERT_UNCONFIRMED:
            return

        def attempt() -> bool:
            with self._lock:  # one writer at a time on the finished journal (notes too)
                try:
                    return confirm(self._forward)
                except GamedayError:
                    return False

        from gameday.engine.recovery import confirm_until_clean

        threading.Thread(
            target=confirm_until_clean,
            args=(attempt, self.stop_confirming),
            name="confirm-unconfirmed",
            daemon=True,
        ).start()

    def kill(self, source: str = "keypress") -> None:
        """Pull the kill switch; returns when every host reported its outcome."""
        self._kill_requested.set()
        with self._lock:
            opened = self._opened
        if opened is not None:
            opened.session.kill_switch(source)

    def answer_ladder(self, stage: int, go: bool) -> bool:
        """The owner's go/no-go after `stage` (non-blocking: the UI thread may call it).
        False when the question is no longer open (kill switch, time limit)."""
        return self.gate.answer(stage, go)

    def _ask_ladder(self, report: StageReport) -> None:
        self.on_ladder_question(report)

    def wait_ended(self, timeout: float) -> bool:
        return self._ended.wait(timeout)

    def queue_note(self, author: str, note: NoteDraft) -> None:
        """Non-blocking (UI thread): notes are journaled in the order they were queued."""
        self._notes.put((author, note))

    def write_queued_notes(self) -> None:
        """Journal every queued note, in order (worker). Raises the first failure at the end,
        after trying the others. While the session is still opening the notes stay queued:
        they are journaled right after its first event (typed as the start was confirmed)."""
        failures: list[GamedayError] = []
        with self._notes_lock:
            if not self._journaling.is_set() and not self.ended:
                return
            for author, note in self._take_queued():
                try:
                    self.add_note(author, note)
                except GamedayError as exc:
                    failures.append(exc)
        if failures:
            raise failures[0]

    def _take_queued(self) -> list[tuple[str, NoteDraft]]:
        taken = []
        while True:
            try:
                taken.append(self._notes.get_nowait())
            except queue.Empty:
                return taken

    def _first_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.SessionStarted) and not self._journaling.is_set():
            self._journaling.set()
            self.write_queued_notes()

    def add_note(self, author: str, note: NoteDraft) -> None:
        """Journal a note (raises NotReady before the session exists)."""
        with self._lock:
            opened = self._opened
            if opened is None:
                raise NotReady("the session is still starting: write the note again in a moment")
            if not self._ended.is_set():
                opened.session.add_note(author, note.text, note.tag, note.owner, note.due)
                return
            # The session is over and its journal closed: append to it, for the findings.
            from gameday.core.session.journal import append_to_finished

            event = append_to_finished(
                opened.journal_path,
                ev.NoteAdded(
                    actor=author, text=note.text, tag=note.tag, owner=note.owner, due=note.due
                ),
                clock=self.backend.now,
            )
        self._forward(event)

    def _forward(self, event: ev.Event) -> None:
        self.on_event(event)
