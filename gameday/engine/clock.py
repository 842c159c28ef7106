"""The real clock: the engine's `Clock` port in production (tests and the demo bring their own)."""

from __future__ import annotations

import threading
import time


class SystemClock:
    def now(self) -> float:
        return time.time()

    def wait(self, seconds: float, cancel: threading.Event) -> bool:
        return cancel.wait(max(0.0, seconds))
