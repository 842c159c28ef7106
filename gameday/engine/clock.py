"""Time as a port, so the engine runs at full speed under a fake clock in tests."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Wall-clock UTC epoch seconds (what the journal and host deadlines use)."""
        ...

    def wait(self, seconds: float, cancel: threading.Event) -> bool:
        """Sleep up to `seconds`; return True early when `cancel` is set."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def wait(self, seconds: float, cancel: threading.Event) -> bool:
        return cancel.wait(max(0.0, seconds))
