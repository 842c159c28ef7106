"""The console's wiring: the app factory, the App-wide bindings (kill switch, quit), the
screens, and the one handler that shows worker failures.

    make_app(backend) → GamedayApp → PlanScreen → (confirm) → SessionScreen → FindingsScreen

The kill switch is an App binding with priority, so it fires on every screen, in modals and
while the note input has focus; it runs `Session.kill_switch` in its own thread worker, never
on the UI thread. Quitting while a session runs pulls the kill switch first and waits for the
session to end.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.worker import Worker, WorkerState

from gameday.core.confirmation import DEFAULT_TYPED_OVER
from gameday.core.wording import verdict_word
from gameday.errors import GamedayError
from gameday.exit_codes import ExitCode
from gameday.ui.backend import Backend
from gameday.ui.exit_guard import ExitGuard
from gameday.ui.kept_keys import KeptKeys
from gameday.ui.messages import ReadyToQuit, SessionFailed, SessionFinished
from gameday.ui.palette import GamedayCommands
from gameday.ui.screens.confirm import ConfirmScreen, TypedConfirmScreen
from gameday.ui.screens.plan import PlanScreen
from gameday.ui.workers import run_io

if TYPE_CHECKING:  # a session's runner and screen (its widgets, the engine's events) are
    # imported when a session starts: the first frame does not wait for them
    from gameday.core.plan import Plan
    from gameday.ui.runner import SessionRunner
    from gameday.ui.screens.session import SessionScreen

QUIT_WAIT = 120.0
"""Seconds to wait for the reverts before quitting anyway (host timers are the backstop)."""


class GamedayApp(App[int]):
    TITLE = "gameday"
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {GamedayCommands}
    """The palette's one provider: Textual's own commands come through it, after gameday's."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+k", "kill_switch", "KILL SWITCH", priority=True, id="kill-switch"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("f1", "help", "Help"),
        Binding("question_mark", "help", "Help", show=False),
    ]

    def __init__(self, backend: Backend, *, confirm_over: int = DEFAULT_TYPED_OVER) -> None:
        super().__init__()
        self.backend = backend
        self.confirm_over = confirm_over
        """More targets than this need the scenario id typed to start."""
        self.quit_dialog: ConfirmScreen | None = None
        """The open "quit during a session?" dialog, kept current as the session ends."""
        self.runner: SessionRunner | None = None
        """The session of this console (one at a time); None before the first start."""
        self.session_screen: SessionScreen | None = None
        self.quitting = False
        """True once the facilitator confirmed quitting (the reverts may still be running)."""
        self.sub_title = backend.label
        self.exit_guard = ExitGuard(self)
        """SIGHUP/SIGTERM/SIGINT: kill switch, bounded wait, exit; SIGUSR1: kill switch."""
        self.kept_keys = KeptKeys()
        """Keys typed between a confirmed start and its session's note box (see KeptKeys)."""
        self.kill_at_start: str | None = None
        """The kill switch's source, when it was pulled between a start's yes and its session."""

    async def on_event(self, event: events.Event) -> None:
        # Around a start the app hands the keys from the terminal on itself, here, one at a
        # time in the order typed: to the start's dialog (a closing dialog drops what is still
        # queued for its widgets), then, once it is answered yes, to the session's note box
        # (see KeptKeys). Its own priority keys (the kill switch, quit) act first, as anywhere.
        if isinstance(event, events.Key) and not event.is_forwarded:
            dialog = self._start_dialog()
            if dialog is not None or self.kept_keys.takes(self.focused, self.screen):
                if await self._check_bindings(event.key, priority=True):
                    return
                if dialog is not None:
                    await dialog.take(event)
                else:
                    self.kept_keys.keep(event)
                return
        await super().on_event(event)

    def _start_dialog(self) -> ConfirmScreen | TypedConfirmScreen | None:
        """The dialog on top, when it asks to start a session."""
        dialog = self.screen
        if isinstance(dialog, ConfirmScreen | TypedConfirmScreen) and dialog.starts:
            return dialog
        return None

    def on_mount(self) -> None:
        loop = asyncio.get_running_loop()

        def call_in_loop(callback: Callable[[], None]) -> None:
            loop.call_soon_threadsafe(callback)

        self.exit_guard.install(call_in_loop)
        if not self.is_headless:  # a pilot's test run has no terminal to lose
            self.exit_guard.watch_terminal()
        self.push_screen(PlanScreen(self.backend))

    def on_unmount(self) -> None:
        if self.runner is not None:
            self.runner.gate.close()  # nobody is left to say go: the ladder stops
        self.exit_guard.uninstall()

    def start_session(self, plan: Plan) -> None:
        """Open and run a session for the plan in a worker; show its screen at once."""
        from gameday.ui.runner import SessionRunner
        from gameday.ui.screens.session import SessionScreen

        runner = SessionRunner(self.backend, plan)
        screen = SessionScreen(runner, self.backend, self.kept_keys)
        runner.on_event = screen.post_event
        runner.on_ladder_question = screen.post_ladder_question
        self.runner, self.session_screen = runner, screen
        self.push_screen(screen)
        if self.kill_at_start is not None:  # pulled between the yes and now
            source, self.kill_at_start = self.kill_at_start, None
            screen.show_kill_pending(source)
            runner.kill(source)  # before it runs: no IO, the session is pulled as it starts

        def run() -> None:
            result = runner.run()
            screen.post_message(SessionFinished(result.verdict, result.reason))
            self.post_message(SessionFinished(result.verdict, result.reason))

        run_io(self, run, group="session", description=f"session {plan.scenario.id}")

    def action_kill_switch(self, source: str = "keypress") -> None:
        runner, screen = self.runner, self.session_screen
        if self._stop_a_start(source):
            return
        starting = runner is not None and not runner.started and not runner.ended
        if runner is None or not (runner.running or starting):
            self.notify("No session is running: there is nothing to revert.", title="Kill switch")
            return
        if runner.result is not None:  # over, still closing (pending notifications)
            self.notify(
                "The session has ended: every revert already ran (gameday recover JOURNAL "
                "retries an unconfirmed one).",
                title="Kill switch",
            )
            return
        if screen is not None:
            screen.show_kill_pending(source)
        if self.quit_dialog is not None:
            self.quit_dialog.set_question(
                "The kill switch is pulled: every fault is being reverted. Quit?",
                "The console quits once the session has ended and every host reported.",
            )
        run_io(
            self,
            functools.partial(runner.kill, source),
            group="kill-switch",
            description="kill switch: revert all",
        )

    def _stop_a_start(self, source: str) -> bool:
        """The kill switch while a start is being confirmed: a start dialog not answered yet
        is answered no (nothing ran); a yes whose session is not made yet has the session
        pulled as it starts."""
        dialog = self._start_dialog()
        if dialog is not None and dialog.answer is None:
            dialog.cancel()
            self.notify("The start was cancelled: nothing ran.", title="Kill switch")
            return True
        if self.kept_keys.keeping and (self.runner is None or self.runner.ended):
            self.kill_at_start = source
            return True
        return False

    async def action_quit(self) -> None:
        runner = self.runner
        if runner is None or not runner.running:
            self.exit()
            return
        if self.quitting:
            self.notify("Reverting every host before quitting…", title="Quit")
            return

        def answered(yes: bool | None) -> None:
            self.quit_dialog = None
            if yes and not runner.running:
                self.exit()
            elif yes:
                self._quit_after_revert(runner, "revert and quit")

        self.quit_dialog = ConfirmScreen(
            "A session is running. Pull the kill switch and quit?",
            "Every fault on every host is reverted first; the console quits when the "
            "session has ended.",
            yes="Revert and quit",
            no="Stay",
        )
        await self.push_screen(self.quit_dialog, answered)

    def on_session_finished(self, message: SessionFinished) -> None:
        self._session_over(verdict_word(message.verdict) if message.verdict else "NOT STARTED")

    def _session_over(self, how: str) -> None:
        """No open dialog may go on saying that a session is running."""
        if self.quit_dialog is None:
            return
        self.quit_dialog.set_question(
            f"The session has ended ({how}). Quit?",
            "Nothing is running any more: quitting reverts nothing.",
            yes="Quit",
        )

    def action_help(self) -> None:
        from gameday.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def _quit_after_revert(self, runner: SessionRunner, source: str) -> None:
        self.quitting = True
        self.action_kill_switch(source)

        def wait() -> None:
            self.post_message(ReadyToQuit(runner.wait_ended(QUIT_WAIT)))

        run_io(self, wait, group="quit", description="wait for every revert before quitting")

    def on_ready_to_quit(self, message: ReadyToQuit) -> None:
        self.exit(ExitCode.OK if message.reverted else ExitCode.REVERT_UNCONFIRMED)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place where a failed worker is shown (as a sentence, not a traceback)."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, GamedayError):
            title, text = error.title, error.message
        else:
            title = "Internal error (a bug in gameday)"
            text = f"{type(error).__name__}: {error}"
        self.notify(f"{event.worker.description}: {text}", title=title, severity="error")
        if event.worker.group == "session" and self.session_screen is not None:
            self.session_screen.post_message(SessionFailed(f"{title}: {text}"))
            self._session_over("STOPPED BY AN ERROR")


def make_app(backend: Backend, *, confirm_over: int = DEFAULT_TYPED_OVER) -> GamedayApp:
    """The one factory of the console, for the CLI and the tests alike."""
    return GamedayApp(backend, confirm_over=confirm_over)
