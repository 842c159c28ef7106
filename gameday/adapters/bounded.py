"""A deadline around a blocking sample: the caller gets a Reading in bounded time, always.

Libraries promise timeouts per socket operation, not per call; a server that trickles bytes can
hold a call far longer. `BoundedSampler` runs each sample in a daemon thread and stops waiting at
the deadline. It never starts a second sample while one is still running, so a stuck endpoint
costs one thread, not one per poll, and the poll reports "previous sample still running".
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from gameday.engine.ports import Reading

GRACE = 0.25
"""Seconds past the probe's timeout we wait, so the library's own timeout (with its clearer
message) normally wins over ours."""


class BoundedSampler:
    """Runs `sample_once` in a worker thread per call and waits at most `timeout + GRACE`."""

    def __init__(self, name: str, sample_once: Callable[[], Reading], timeout: float) -> None:
        self._name = name
        self._sample_once = sample_once
        self._timeout = timeout
        self._running: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    def sample(self) -> Reading:
        """A reading within `timeout + GRACE` seconds; never raises."""
        with self._lock:
            if self._closed:
                return Reading(None, "source closed")
            if self._running is not None and self._running.is_alive():
                return Reading(None, "previous sample still running")
            box: list[Reading] = []
            done = threading.Event()
            worker = threading.Thread(
                target=self._work, args=(box, done), name=f"probe-{self._name}", daemon=True
            )
            self._running = worker
            worker.start()
        if not done.wait(self._timeout + GRACE):
            return Reading(None, f"no answer within {self._timeout:g}s")
        return box[0] if box else Reading(None, "internal error: no reading")

    def close(self) -> None:
        """Refuse further samples. A sample still running ends by its own timeout."""
        with self._lock:
            self._closed = True

    def _work(self, box: list[Reading], done: threading.Event) -> None:
        try:
            box.append(self._sample_once())
        except Exception as exc:  # a source must never raise: report it as no data
            box.append(Reading(None, f"internal error: {type(exc).__name__}"))
        finally:
            done.set()
