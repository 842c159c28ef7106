"""The exit guard: a second SIGTERM/SIGINT leaves at once; the first one leaves within its
budget even when the app never exits and the session never ends."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from gameday.ui.exit_guard import ExitGuard


class StuckRunner:
    """A session whose reverts never come back."""

    running = True
    ended = False
    result = None

    def __init__(self) -> None:
        self.killed: list[str] = []
        self.gate = self  # the ladder's go/no-go: closed on the way out
        self.gate_closed = False

    def close(self) -> None:
        self.gate_closed = True

    def kill(self, source: str = "keypress") -> None:
        self.killed.append(source)
        threading.Event().wait(60)

    def wait_ended(self, timeout: float) -> bool:
        time.sleep(timeout)
        return False


class StuckApp:
    def __init__(self) -> None:
        self.runner: Any = StuckRunner()
        self.exit_asked: list[object] = []

    def exit(self, result: object = None) -> None:
        self.exit_asked.append(result)  # a dead terminal: the app never actually leaves


def test_a_stuck_console_is_gone_within_the_budget_and_a_second_sigterm_is_immediate() -> None:
    app = StuckApp()
    exits: list[tuple[int, float]] = []
    left = threading.Event()

    def hard_exit(code: int) -> None:
        exits.append((code, time.monotonic()))
        left.set()

    guard = ExitGuard(app, budget=1.0, hard_exit=hard_exit)
    guard._loop_call = lambda callback: callback()
    started = time.monotonic()
    guard._on_signal(signal.SIGHUP, None)
    assert left.wait(5)
    code, at = exits[0]
    assert code == 4, "a session that did not end is not confirmed"
    assert at - started <= 1.5
    assert app.runner.killed == ["signal:SIGHUP"] and app.exit_asked == [4]
    assert app.runner.gate_closed, "no ladder question keeps waiting for a console that left"
    guard._on_signal(signal.SIGHUP, None)  # another hangup changes nothing
    assert len(exits) == 1
    guard._on_signal(signal.SIGTERM, None)  # asked twice: leave now
    assert exits[1][0] == 3 and exits[1][1] - time.monotonic() < 0.1


def test_a_terminal_gone_without_sighup_is_noticed_and_the_console_leaves() -> None:
    app = StuckApp()
    exits: list[int] = []
    left = threading.Event()

    def hard_exit(code: int) -> None:
        exits.append(code)
        left.set()

    guard = ExitGuard(app, budget=1.0, hard_exit=hard_exit)
    guard._loop_call = lambda callback: callback()
    guard.watch_terminal(alive=lambda: False)
    assert left.wait(5)
    assert app.runner.killed == ["terminal closed"] and exits == [4]
