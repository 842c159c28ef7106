"""Driving `FaultRunner`s directly, as the engine's revert path and heartbeats do, for tests of
the host-side guard without a session: revert on many hosts at once, renew leases in a thread.

The engine itself uses `gameday.engine.revert.Reverter` and `gameday.engine.heartbeat`; these
are their small stand-ins for runner-level tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from gameday.engine.faultrun import FaultRunner, StepResult


@dataclass(frozen=True)
class KillSwitchReport:
    """Every host's outcome of one kill switch, with the time until the last acknowledgement."""

    outcomes: Mapping[str, Mapping[str, StepResult]]
    """host → fault id → revert result."""
    duration: float

    @property
    def all_confirmed(self) -> bool:
        return all(r.ok for per_host in self.outcomes.values() for r in per_host.values())


def revert_everywhere(
    runners: Iterable[FaultRunner],
    *,
    timeout: float = 30.0,
    max_parallel: int = 16,
    clock: Callable[[], float] = time.monotonic,
) -> KillSwitchReport:
    """The kill switch: write `revert` into every open watcher channel first (no round trip
    waits for another), then gather each host's answer in parallel; hosts without a watcher
    are reverted over fresh commands. Safe to call again (idempotent on the hosts)."""
    started = clock()
    hosts = list(runners)
    for runner in hosts:
        runner.send_revert()
    outcomes: dict[str, Mapping[str, StepResult]] = {}
    if hosts:
        with ThreadPoolExecutor(max_workers=min(max_parallel, len(hosts))) as pool:
            for runner, result in zip(
                hosts, pool.map(lambda r: r.collect_revert(timeout, started), hosts), strict=True
            ):
                outcomes[runner.host] = result
    return KillSwitchReport(outcomes, clock() - started)


class LeaseKeeper:
    """A daemon thread that renews every runner's lease each `interval` seconds.

    `lost` collects hosts whose watcher stopped listening (reported once each).
    """

    def __init__(
        self,
        runners: Iterable[FaultRunner],
        *,
        interval: float = 1.0,
        on_lost: Callable[[str], None] | None = None,
    ) -> None:
        self._runners = list(runners)
        self._interval = interval
        self._on_lost = on_lost
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost: set[str] = set()

    def add(self, runner: FaultRunner) -> None:
        self._runners.append(runner)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="lease-keeper", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def beat_once(self) -> None:
        for runner in list(self._runners):
            if runner.host in self.lost or runner.watcher_pid is None:
                continue
            if not runner.heartbeat():
                self.lost.add(runner.host)
                if self._on_lost is not None:
                    self._on_lost(runner.host)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.beat_once()
