"""The console's side of every host's lease: renew it each interval, notice a host gone silent.

One thread for the session renews every host's lease; a host whose driver says it stopped
answering is reported once through `on_lost` and never renewed again (its own lease has
reverted, or is reverting, the session's faults).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from gameday.engine.ports import HostDriver


class Heartbeats:
    def __init__(self, drivers: Mapping[str, HostDriver], on_lost: Callable[[str], None]) -> None:
        self._drivers = drivers
        self._interval = 1.0
        self._on_lost = on_lost
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost: set[str] = set()
        """Hosts that stopped answering their lease."""

    def start(self, interval: float) -> None:
        """Renew every `interval` seconds from now on (once started, later calls do nothing)."""
        if self._thread is None:
            self._interval = interval
            self._thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)
            self._thread.start()

    def beat_now(self) -> None:
        """Renew every lease now (at once on `start`, if not started yet), then every interval."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def mark_lost(self, host: str) -> bool:
        """Record `host` as lost; False when it already was."""
        if host in self.lost:
            return False
        self.lost.add(host)
        return True

    def _beat(self) -> None:
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            for host, driver in list(self._drivers.items()):
                if host not in self.lost and not driver.heartbeat():
                    self._on_lost(host)
