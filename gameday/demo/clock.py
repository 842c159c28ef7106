"""Clocks for the demo: real time sped up, or time that moves only when the engine waits.

Both implement the engine's `Clock` port. The journal is stamped with the same clock, so the
timeline, the gauges and the findings all agree on what time it was.
"""

from __future__ import annotations

import threading
import time

DEFAULT_START = 1_795_770_000.0
"""2026-11-27 09:00:00 UTC: where a stepping clock starts unless told otherwise."""


class ScaledClock:
    """Wall-clock time that runs `speed` times faster than real time from the moment of creation.

    `speed=1` is the real clock. The demo uses a higher speed in tests so that a session of a
    minute of scenario time takes a few seconds.
    """

    def __init__(self, speed: float = 1.0, *, start: float | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._origin = time.time() if start is None else start
        self._t0 = time.monotonic()

    def now(self) -> float:
        return self._origin + (time.monotonic() - self._t0) * self.speed

    def wait(self, seconds: float, cancel: threading.Event) -> bool:
        return cancel.wait(max(0.0, seconds) / self.speed)


class SteppingClock:
    """Time moves only when someone waits on it; a wait returns at once.

    A session under this clock runs as fast as the machine allows and stamps every event with
    the same times on every run: what snapshot tests need.
    """

    def __init__(self, start: float = DEFAULT_START) -> None:
        self._t = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._t

    def wait(self, seconds: float, cancel: threading.Event) -> bool:
        if cancel.is_set():
            return True
        with self._lock:
            self._t += max(0.0, seconds)
        return cancel.is_set()
