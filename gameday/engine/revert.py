"""The engine's one revert path: the kill switch, the end of a wave and a failed fault all
revert through `Reverter.revert`.

    ask every host (a line written into each watcher channel) → gather every answer in
    parallel, with ONE deadline for all → journal each batch of answers with one fsync

No answer is awaited before every host was asked, no host waits for another, and no lock is
held while a host is asked or answers (the claim lock only guards the in-flight set). A host
that has not answered by the deadline (`lease + 2 s`) is reported `unconfirmed`: its lease
watcher reverts it by itself once the lease runs out, and its dead-man timer after that.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from gameday.core.faults import FaultPlan
from gameday.core.session.events import RevertBy, RevertOutcome
from gameday.core.session.lease import KILL_SWITCH_SLACK
from gameday.core.wording import unreachable_detail as lease_unreachable_detail
from gameday.engine.ports import HostDriver, Outcome, PendingRevert

FaultKey = tuple[str, str]
"""(host, fault id)."""

BOUND_MARGIN = KILL_SWITCH_SLACK
"""Seconds granted past the lease before a silent host is given up on (one documented value,
gameday.core.session.lease)."""

_WORKERS = 64
"""Threads gathering answers at once (more hosts wait for a free one)."""

BATCH_WINDOW = 0.02
"""Seconds an answer waits for others to join its batch (one fsync for them all)."""


@dataclass(frozen=True)
class _Ask:
    """One revert's request: who asked, when (wall clock), and the one deadline (monotonic)."""

    by: RevertBy
    at: float
    deadline: float


@dataclass(frozen=True)
class HostReverted:
    """One host's answer (or the lack of one) to a revert."""

    host: str
    outcome: RevertOutcome
    faults: tuple[tuple[FaultPlan, Outcome], ...]
    """Each fault asked about, with its outcome, in the order they were reverted."""


def host_outcome(outcomes: Sequence[Outcome]) -> RevertOutcome:
    """clean when every fault is confirmed; failed when the host answered that one is not;
    unconfirmed when it did not answer."""
    found = [
        RevertOutcome.CLEAN
        if o.ok
        else RevertOutcome.FAILED
        if o.answered
        else RevertOutcome.UNCONFIRMED
        for o in outcomes
    ]
    return RevertOutcome.worst(found)


def unreachable_detail(reverted_by: float) -> str:
    """What a fault whose host did not answer in time is: `reverted_by` is wall-clock epoch
    (the wording is gameday.core.session.lease's, shared with a lost host's)."""
    return lease_unreachable_detail(reverted_by)


class Reverter:
    """Reverts faults on many hosts at once, for one session. Thread-safe.

    `on_batch` journals (and folds, and tells the views) each batch of host results as they
    arrive; it is called from the reverting thread, never under a lock of this class.
    """

    def __init__(
        self,
        drivers: Mapping[str, HostDriver],
        *,
        lease: float,
        on_batch: Callable[[Sequence[HostReverted], RevertBy], None],
        wall: Callable[[], float] = time.time,
        bound: float | None = None,
    ) -> None:
        self._drivers = drivers
        self.lease = lease
        self.bound = lease + BOUND_MARGIN if bound is None else bound
        """Seconds from asking to giving up on a host's answer."""
        self._on_batch = on_batch
        self._wall = wall
        self._claims = threading.Condition()
        self._in_flight: set[FaultKey] = set()
        self._latest: dict[str, RevertOutcome] = {}
        """Each host's latest revert outcome (for a caller that waited on another's revert)."""
        self._pool: ThreadPoolExecutor | None = None
        self._warmed = 0
        """Threads `warm` has started in the pool."""

    def revert(
        self,
        plans: Sequence[FaultPlan],
        by: RevertBy,
        *,
        still_open: Callable[[FaultKey], bool] | None = None,
        after_asking: Callable[[], None] | None = None,
        report_waited: bool = False,
    ) -> dict[str, RevertOutcome]:
        """Revert `plans` (each host's in reverse order of injection); host → outcome.

        Faults another call is reverting right now are waited for (at most the bound) and then,
        when `still_open` says they are, reverted again; otherwise they are left to that call
        (and with `report_waited`, its outcome for their hosts is part of the answer).
        `after_asking` runs once every host was asked, before any answer is awaited (the kill
        switch journals its pull there, so the journal's fsync never delays a host).
        """
        mine, waited = self._claim(plans, still_open)
        results: dict[str, RevertOutcome] = {}
        if report_waited:
            with self._claims:
                results.update((h, self._latest[h]) for h in waited if h in self._latest)
        if not mine:
            if after_asking is not None:
                after_asking()
            return results
        try:
            results.update(self._revert_claimed(mine, by, after_asking))
            return results
        finally:
            with self._claims:
                self._in_flight.difference_update((p.host, p.fault_id) for p in mine)
                self._claims.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no revert is in flight (at most `timeout` s); False if one still is."""
        with self._claims:
            return self._claims.wait_for(lambda: not self._in_flight, timeout)

    def warm(self, hosts: int) -> None:
        """Start, in the background, the threads that will gather `hosts` answers, so the kill
        switch pays for no thread start (on a busy 2-core console, ~1 ms each)."""
        threading.Thread(target=self._warm, args=(hosts,), name="revert-warm", daemon=True).start()

    def _warm(self, hosts: int) -> None:
        with self._claims:
            wanted = min(hosts, _WORKERS) - self._warmed
            self._warmed += max(0, wanted)
        if wanted <= 0:
            return
        pool, release = self._executor(), threading.Event()
        # each task holds its thread until all are submitted, so each submit starts a new one
        waits = [pool.submit(release.wait, 5.0) for _ in range(wanted)]
        release.set()
        wait(waits, timeout=5.0)

    def close(self) -> None:
        """Let the pool's threads go (a later revert makes a new pool)."""
        with self._claims:
            pool, self._pool = self._pool, None
            self._warmed = 0
        if pool is not None:
            pool.shutdown(wait=False)

    # --- the path ------------------------------------------------------------------------

    def _claim(
        self, plans: Sequence[FaultPlan], still_open: Callable[[FaultKey], bool] | None
    ) -> tuple[list[FaultPlan], set[str]]:
        """(the plans this call reverts, the hosts whose revert by another call it waited on)."""
        keys = {(p.host, p.fault_id) for p in plans}
        with self._claims:
            busy = keys & self._in_flight
            if busy:
                self._claims.wait_for(lambda: not (keys & self._in_flight), self.bound + 1.0)
                mine = [
                    p
                    for p in plans
                    if (p.host, p.fault_id) not in busy
                    or still_open is None
                    or still_open((p.host, p.fault_id))
                ]
            else:
                mine = list(plans)
            mine = [p for p in mine if (p.host, p.fault_id) not in self._in_flight]
            self._in_flight.update((p.host, p.fault_id) for p in mine)
        return mine, {host for host, _ in busy}

    def _revert_claimed(
        self,
        plans: Sequence[FaultPlan],
        by: RevertBy,
        after_asking: Callable[[], None] | None,
    ) -> dict[str, RevertOutcome]:
        by_host: dict[str, list[FaultPlan]] = {}
        for plan in plans:
            by_host.setdefault(plan.host, []).append(plan)
        ask = _Ask(by, self._wall(), time.monotonic() + self.bound)
        pending: dict[str, PendingRevert] = {}
        results: dict[str, RevertOutcome] = {}
        lost: list[HostReverted] = []
        # ask every host first: nothing below waits for an answer until all were asked
        for host, host_plans in by_host.items():
            host_plans.reverse()
            driver = self._drivers.get(host)
            if driver is None:
                lost.append(self._no_answer(host, host_plans, ask, "host not connected"))
            else:
                pending[host] = driver.send_revert(host_plans, by)
        if after_asking is not None:
            after_asking()
        if lost:
            self._report(lost, by, results)
        self._gather(pending, by_host, ask, results)
        return results

    def _gather(
        self,
        pending: Mapping[str, PendingRevert],
        by_host: Mapping[str, list[FaultPlan]],
        ask: _Ask,
        results: dict[str, RevertOutcome],
    ) -> None:
        if not pending:
            return
        pool = self._executor()
        futures: dict[Future[dict[str, Outcome]], str] = {
            pool.submit(answer.gather, ask.deadline): host for host, answer in pending.items()
        }
        waiting = set(futures)
        while waiting:
            done, waiting = wait(
                waiting,
                timeout=max(0.0, ask.deadline - time.monotonic()),
                return_when=FIRST_COMPLETED,
            )
            if not done:
                break
            if waiting:
                # answers arriving together are journaled together: on a busy console every
                # fsync and fold taken here is time the other hosts' answers wait for
                more, waiting = wait(waiting, timeout=min(BATCH_WINDOW, _left(ask.deadline)))
                done |= more
            batch = [self._answered(futures[f], by_host[futures[f]], f, ask) for f in done]
            self._report(batch, ask.by, results)
        if waiting:
            silent = [self._no_answer(futures[f], by_host[futures[f]], ask, "") for f in waiting]
            self._report(silent, ask.by, results)

    def _answered(
        self,
        host: str,
        plans: list[FaultPlan],
        future: Future[dict[str, Outcome]],
        ask: _Ask,
    ) -> HostReverted:
        try:
            answers = future.result()
        except Exception as exc:  # a driver bug must not hide the other hosts' outcomes
            return self._no_answer(host, plans, ask, f"internal error: {exc}")
        lease_by = ask.at + self.lease
        faults = tuple(
            (plan, answers.get(plan.fault_id) or _silent(unreachable_detail(lease_by)))
            for plan in plans
        )
        return HostReverted(host, host_outcome([o for _, o in faults]), faults)

    def _no_answer(
        self, host: str, plans: Sequence[FaultPlan], ask: _Ask, why: str
    ) -> HostReverted:
        detail = unreachable_detail(ask.at + self.lease)
        if why:
            detail = f"{detail} ({why})"
        faults = tuple((plan, _silent(detail)) for plan in plans)
        return HostReverted(host, RevertOutcome.UNCONFIRMED, faults)

    def _report(
        self, batch: Sequence[HostReverted], by: RevertBy, results: dict[str, RevertOutcome]
    ) -> None:
        for host in batch:
            results[host.host] = host.outcome
        with self._claims:
            self._latest.update(results)
        self._on_batch(batch, by)

    def _executor(self) -> ThreadPoolExecutor:
        # one long-lived pool: its threads are already there when the kill switch is pulled
        with self._claims:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="revert")
            return self._pool


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def _silent(detail: str) -> Outcome:
    return Outcome(False, detail, answered=False)
