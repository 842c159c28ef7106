"""`RunnerDriver`: the session's `HostDriver` over a `FaultRunner` (a real host, any transport)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from gameday.core.faults import FaultPlan
from gameday.core.guard import Requester
from gameday.core.session.events import RevertBy, Step
from gameday.engine.faultrun import FaultRunner, StepResult
from gameday.engine.launching import Launched, launch_fault
from gameday.engine.ports import (
    CommandRecord,
    LeaseLoss,
    Outcome,
    PendingRevert,
    RevertLater,
    Transport,
)
from gameday.errors import GamedayError

PREPARED_FOR = 10.0
"""Seconds a preflight taken as the host connected (`RunnerDriver.prepare`) stays good for the
session's preflight; an older one is taken again."""


class RunnerDriver:
    """Adapts one host's FaultRunner to the engine's port; journals each step's commands."""

    def __init__(
        self,
        runner: FaultRunner,
        clock: Callable[[], float] = time.time,
        reconnect: Callable[[], Transport] | None = None,
    ) -> None:
        self.runner = runner
        self.host = runner.host
        self._clock = clock
        self._reconnect = reconnect
        """Opens a fresh connection to the host, for a revert whose connection broke."""
        self._launched: dict[str, Launched] = {}
        """Faults armed, injected and verified in one round trip, until `inject` reports them."""
        self._prepared: dict[str, tuple[float, Outcome]] = {}
        """Preflight outcomes taken by `prepare` (when, what), until `check` reports them."""

    def prepare(self, plans: Sequence[FaultPlan]) -> None:
        """Open the session's shell and take each plan's preflight now, as the host connects
        (`check` reports them a moment later): one host's preflight then overlaps the next
        host's connection. Nothing is armed or injected here, whatever the answers."""
        if not plans:
            return
        self.runner.open_shell()
        for plan in plans:
            outcome = _outcome(self.runner.check(plan), "capability", plan.capability)
            self._prepared[plan.fault_id] = (self._clock(), outcome)

    def check(self, plan: FaultPlan) -> Outcome:
        prepared = self._prepared.pop(plan.fault_id, None)
        if prepared is not None and self._clock() - prepared[0] <= PREPARED_FOR:
            return prepared[1]
        return _outcome(self.runner.check(plan), "capability", plan.capability)

    def arm(self, plan: FaultPlan, deadline: float) -> Outcome:
        """Arm, and in the same round trip inject and verify (their outcomes are kept for
        `inject`); the first fault on the host also starts its lease watcher there."""
        # The host's timer counts from the host's own clock: hand it seconds, not a timestamp.
        seconds = max(1.0, deadline - self._clock())
        launched = launch_fault(self.runner, plan, seconds)
        armed = _outcome(launched.arm, "arm", (f"arm {plan.fault_id}: timer in {seconds:.0f}s",))
        if launched.inject is None:
            return armed
        self._launched[plan.fault_id] = launched
        return replace(armed, injected=True)

    def inject(self, plan: FaultPlan) -> Outcome:
        launched = self._launched.pop(plan.fault_id, None)
        if launched is not None and launched.inject is not None:
            injected, verified = launched.inject, launched.verify_active
        else:
            injected, verified = self.runner.inject(plan), None
        first = _outcome(injected, "inject", plan.inject)
        if not injected.ok:
            return first
        if verified is None:
            verified = self.runner.verify_active(plan)
        second = _outcome(verified, "verify_active", plan.verify_active)
        if verified.ok:
            return Outcome(
                True,
                commands=first.commands + second.commands,
                duration=first.duration + second.duration,
            )
        # Injected but not observably active: take it back out rather than guess.
        undo = self.runner.revert(plan)
        note = "reverted" if undo.ok else f"revert UNCONFIRMED: {undo.detail}"
        return Outcome(False, f"{verified.detail}; {note}", first.commands + second.commands)

    def revert(self, plan: FaultPlan) -> Outcome:
        return self._revert_one(plan, None, "console")

    def _revert_one(self, plan: FaultPlan, deadline: float | None, requester: Requester) -> Outcome:
        lines = plan.revert + plan.verify_reverted
        result = self.runner.revert(plan, _left(deadline), requester)
        # a lost host gets one short attempt; the reconnect is the background confirm's job
        if result.ok or self.runner.lost_by is not None or not self._fresh_connection():
            return _outcome(result, "revert", lines)
        # idempotent: safe to retry
        return _outcome(self.runner.revert(plan, _left(deadline), requester), "revert", lines)

    def _fresh_connection(self) -> bool:
        """Swap in a new connection after a failed revert; False when none can be had."""
        if self._reconnect is None:
            return False
        try:
            self.runner.transport = self._reconnect()
        except GamedayError:
            return False
        return True

    def send_revert(self, plans: Sequence[FaultPlan], by: RevertBy) -> PendingRevert:
        """One line into the host's watcher channel now; its answer read by `gather`."""
        requester = _REQUESTERS.get(by, "console")
        started = time.monotonic()
        armed = bool(self.runner.armed)
        if armed:
            self.runner.send_revert(requester)

        def gather(deadline: float) -> dict[str, Outcome]:
            results = (
                self.runner.collect_revert(max(0.0, deadline - time.monotonic()), started)
                if armed
                else {}
            )
            outcomes = {fid: _outcome(result, "revert", ()) for fid, result in results.items()}
            for plan in plans:  # faults the runner no longer holds: revert again (idempotent)
                if plan.fault_id not in outcomes:
                    outcomes[plan.fault_id] = self._revert_one(plan, deadline, requester)
            return outcomes

        return RevertLater(gather)

    def heartbeat(self) -> bool:
        # The lease is kept for as long as its watcher listens, armed fault or not: between two
        # stages of a ladder (the owner deciding) a silent console would let the watcher's lease
        # run out, and the next stage would start with no watcher and a false "host lost".
        if self.runner.armed or self.runner.has_lease():
            return self.runner.heartbeat()
        return True  # no lease to keep: nothing can have been lost

    def lease_loss(self) -> LeaseLoss | None:
        lost_by = self.runner.lost_by
        return None if lost_by is None else LeaseLoss(self.runner.silent_for, lost_by)

    def run(self, command: str, timeout: float) -> Outcome:
        result = self.runner.run(command, timeout)  # journaled by the engine as RollbackRan
        return Outcome(result.ok, result.detail, (), result.duration)

    def close(self) -> None:
        self.runner.close()


_REQUESTERS: dict[RevertBy, Requester] = {
    "console": "console",
    "kill_switch": "kill-switch",
    "host_timer": "timer",
    "lease": "lease",
    "recover": "recover",
    "sweep": "sweep",
}
"""How the host's history names who asked (its words predate the journal's)."""


def _left(deadline: float | None) -> float | None:
    """Seconds until a monotonic `deadline` (None: no deadline)."""
    return None if deadline is None else max(0.0, deadline - time.monotonic())


_VIA = {
    "watcher": "confirmed by its lease watcher",
    "fallback": "confirmed by a second command, its watcher silent",
}
"""How a revert was confirmed, in the facilitator's words (the console's own: no words)."""


def _outcome(result: StepResult, step: Step, lines: Sequence[str]) -> Outcome:
    command = " ; ".join(lines) if lines else result.step
    record = CommandRecord(
        step, command, 0 if result.ok else 1, result.duration, "" if result.ok else result.detail
    )
    detail = result.detail
    if result.via and result.via != "console":
        via = _VIA.get(result.via, f"via {result.via}")
        detail = f"{detail} ({via})" if detail else via
    return Outcome(
        result.ok,
        detail,
        (record,),
        result.duration,
        timer=result.timer,
        answered=result.answered,
    )
