"""The background confirm: bounded attempts with a growing pause, until clean or told to stop."""

from __future__ import annotations

import threading

from gameday.engine.recovery import confirm_until_clean


class Waits(threading.Event):
    """A stop event that records each pause instead of sleeping."""

    def __init__(self, stop_after: int | None = None) -> None:
        super().__init__()
        self.pauses: list[float] = []
        self._stop_after = stop_after

    def wait(self, timeout: float | None = None) -> bool:
        self.pauses.append(float(timeout or 0.0))
        if self._stop_after is not None and len(self.pauses) >= self._stop_after:
            self.set()
        return self.is_set()


def test_attempts_back_off_until_one_confirms() -> None:
    answers = iter([False] * 6 + [True])
    stop = Waits()
    assert confirm_until_clean(lambda: next(answers), stop, backoff=(1.0, 2.0, 4.0))
    assert stop.pauses == [1.0, 2.0, 4.0, 4.0, 4.0, 4.0]


def test_closing_the_console_ends_the_attempts() -> None:
    calls: list[int] = []

    def attempt() -> bool:
        calls.append(1)
        return False

    stop = Waits(stop_after=3)
    assert not confirm_until_clean(attempt, stop, backoff=(1.0,))
    assert len(calls) == 3
