"""The owner's go/no-go between two stages of a ladder, asked on the console; no Textual here.

The engine thread calls `decide()` and blocks; `decide()` hands the stage's report to the
screen (`ask`, thread-safe: it posts a message) and waits for `answer()` from the UI thread,
for the kill switch (`cancel`), or for `timeout` — no answer is a no-go, said as such in the
journal. The faults of the stage that held are already reverted while it waits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from gameday.engine.ladder import DECISION_TIMEOUT, NO_ANSWER
from gameday.engine.ports import Decision, StageReport

CONSOLE_CLOSED = "console closed"
"""`Decision.how` when the console closed while the question was open (a no-go)."""
POLL = 0.1
"""How often the wait looks at the kill switch (seconds)."""


class ConsoleGate:
    def __init__(
        self,
        ask: Callable[[StageReport], None],
        person: str,
        *,
        timeout: float = DECISION_TIMEOUT,
    ) -> None:
        self._ask = ask
        self._person = person
        """Who answers at this console (used when the session names no owner)."""
        self._timeout = timeout
        self._lock = threading.Lock()
        self._answered = threading.Event()
        self._pending: int | None = None
        self._go = False
        self._closed = threading.Event()

    @property
    def pending(self) -> int | None:
        """The stage whose go/no-go is awaited, or None."""
        with self._lock:
            return self._pending

    def answer(self, stage: int, go: bool) -> bool:
        """The owner's answer for `stage` (UI thread, never blocks). False when nothing waits
        for it any more (the kill switch or the time limit came first)."""
        with self._lock:
            if self._pending != stage:
                return False
            self._go = go
            self._pending = None
            self._answered.set()
            return True

    def close(self) -> None:
        """The console is going away: an open question, and any later one, is a no-go."""
        with self._lock:
            self._closed.set()
            self._answered.set()

    def decide(self, report: StageReport, cancel: threading.Event) -> Decision | None:
        with self._lock:
            if self._closed.is_set():
                return Decision(False, "", how=CONSOLE_CLOSED)
            self._pending, self._go = report.stage, False
            self._answered.clear()
        self._ask(report)
        by = report.owner or self._person
        role = report.owner_role if report.owner else ""
        deadline = time.monotonic() + self._timeout
        while not self._answered.wait(min(POLL, max(0.0, deadline - time.monotonic()))):
            if cancel.is_set():
                self._withdraw()
                return None
            if time.monotonic() >= deadline:
                self._withdraw()
                return Decision(False, "", how=NO_ANSWER)
        with self._lock:
            self._pending = None
            if self._closed.is_set():
                return Decision(False, "", how=CONSOLE_CLOSED)
            return Decision(self._go, by, role, how="console")

    def _withdraw(self) -> None:
        with self._lock:
            self._pending = None
