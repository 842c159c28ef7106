"""The console never outlives its terminal, and never ignores a signal.

SIGHUP (the terminal or the SSH session to it went away, a tmux pane was killed), SIGTERM and
SIGINT pull the kill switch, wait for the session to end (bounded), then leave: first by
asking the app to exit (which restores a terminal that is still there), and if the app cannot
(Textual's output thread blocks for ever once the terminal is gone) by `os._exit` when the
budget is spent: the process is gone within `EXIT_BUDGET` seconds whatever the screen was
doing. A second SIGTERM or SIGINT exits at once (the hosts' leases finish the job).

SIGUSR1 is `gameday abort`: it pulls the kill switch and the console stays open on the
outcome.

A terminal can also go away without a SIGHUP reaching us (the console started under `nohup`,
or outside the terminal's foreground process group): a watcher thread asks the terminal for
its attributes every second, which a hung-up terminal refuses (EIO), and takes the same way out.

Handlers are plain `signal.signal` handlers, not the event loop's: Python runs them in the main
thread even while that thread is blocked in a queue or a write, where a loop callback would
never run. Everything slow happens in daemon threads.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import termios
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol

from gameday.exit_codes import ExitCode

if TYPE_CHECKING:
    from gameday.ui.runner import SessionRunner

EXIT_SIGNALS = (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)
ABORT_SIGNAL = signal.SIGUSR1
"""What `gameday abort` sends a console (a headless run takes it the same way)."""
TERMINAL_POLL = 1.0
"""Seconds between two checks that the terminal is still there."""
EXIT_BUDGET = 8.0
"""Seconds from the first exit signal to the process being gone (the promise is 10 s)."""
_APP_GRACE = 2.0
"""Seconds left to the app to exit by itself (restoring the terminal) after the session ended."""


class _App(Protocol):
    runner: SessionRunner | None

    def exit(self, result: Any = None) -> None: ...


class ExitGuard:
    def __init__(
        self,
        app: _App,
        *,
        budget: float = EXIT_BUDGET,
        hard_exit: Callable[[int], None] = os._exit,
        on_abort: Callable[[str], None] | None = None,
    ) -> None:
        self._app = app
        self._budget = budget
        self._hard_exit = hard_exit
        self._on_abort = on_abort
        self._exiting = threading.Event()
        self._previous: dict[int, Any] = {}
        self._loop_call: Callable[[Callable[[], None]], None] | None = None

    def install(self, call_in_loop: Callable[[Callable[[], None]], None]) -> None:
        """Take the signals (main thread only; elsewhere, e.g. some test runners, a no-op).

        `call_in_loop` schedules a callable on the app's event loop from any thread.
        """
        if threading.current_thread() is not threading.main_thread():
            return
        self._loop_call = call_in_loop
        for sig in (*EXIT_SIGNALS, ABORT_SIGNAL):
            self._previous[sig] = signal.signal(sig, self._on_signal)

    def watch_terminal(self, alive: Callable[[], bool] | None = None) -> None:
        """Leave as on SIGHUP once the terminal is gone (checked every TERMINAL_POLL s)."""
        check = alive or _terminal_alive

        def watch() -> None:
            while not self._exiting.wait(TERMINAL_POLL):
                if not check():
                    if not self._exiting.is_set():
                        self._exiting.set()
                        self._shutdown("terminal closed")
                    return

        threading.Thread(target=watch, name="terminal-watch", daemon=True).start()

    def uninstall(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        sig = signal.Signals(signum)
        source = f"signal:{sig.name}"
        if sig == ABORT_SIGNAL:
            self._spawn(self._abort, "gameday abort")
            return
        if self._exiting.is_set():
            if sig in (signal.SIGTERM, signal.SIGINT):
                self._hard_exit(int(ExitCode.ABORTED))  # asked twice: leave now
            return
        self._exiting.set()
        self._spawn(self._shutdown, source)

    @staticmethod
    def _spawn(target: Callable[[str], None], source: str) -> None:
        threading.Thread(target=target, args=(source,), name="exit-guard", daemon=True).start()

    def _abort(self, source: str) -> None:
        if self._on_abort is not None:
            self._on_abort(source)
            return
        runner = self._app.runner
        if runner is not None and runner.running:
            runner.kill(source)

    def _shutdown(self, source: str) -> None:
        deadline = time.monotonic() + self._budget
        code = self._end_session(source, deadline - _APP_GRACE)
        call = self._loop_call
        if call is not None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                call(lambda: self._app.exit(code))
        # the app normally exits now; if its output is stuck on a dead terminal, it never will
        time.sleep(max(0.0, min(_APP_GRACE, deadline - time.monotonic())))
        self._hard_exit(code)

    def _end_session(self, source: str, until: float) -> int:
        runner = self._app.runner
        if runner is None or not runner.running:
            return int(ExitCode.OK)
        runner.gate.close()  # nobody is left to say go: a ladder stops at its current stage
        threading.Thread(
            target=runner.kill, args=(source,), name="kill-switch", daemon=True
        ).start()
        runner.wait_ended(max(0.0, until - time.monotonic()))
        result = runner.result
        if runner.ended and result is not None:
            return int(result.exit_code)
        return int(ExitCode.REVERT_UNCONFIRMED)


def _terminal_alive(fd: int = 0) -> bool:
    """False once the terminal on `fd` was hung up (its ioctls fail with EIO); True when it is
    there, or when `fd` is no terminal at all (nothing to watch)."""
    try:
        termios.tcgetattr(fd)
    except termios.error as exc:
        return bool(exc.args[0] != errno.EIO)
    return True
