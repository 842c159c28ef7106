"""`RunnerDriver`: the session's `HostDriver` over a `FaultRunner` (a real host, any transport)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from gameday.core.events import Step
from gameday.core.faults import FaultPlan
from gameday.engine.faultrun import FaultRunner, StepResult
from gameday.engine.ports import CommandRecord, Outcome, Transport
from gameday.errors import GamedayError


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

    def check(self, plan: FaultPlan) -> Outcome:
        return _outcome(self.runner.check(plan), "capability", plan.capability)

    def arm(self, plan: FaultPlan, deadline: float) -> Outcome:
        # The host's timer counts from the host's own clock: hand it seconds, not a timestamp.
        seconds = max(1.0, deadline - self._clock())
        result = self.runner.arm(plan, seconds)
        return _outcome(result, "arm", (f"arm {plan.fault_id}: timer in {seconds:.0f}s",))

    def inject(self, plan: FaultPlan) -> Outcome:
        injected = self.runner.inject(plan)
        first = _outcome(injected, "inject", plan.inject)
        if not injected.ok:
            return first
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
        lines = plan.revert + plan.verify_reverted
        result = self.runner.revert(plan)
        if result.ok or not self._fresh_connection():
            return _outcome(result, "revert", lines)
        return _outcome(self.runner.revert(plan), "revert", lines)  # idempotent: safe to retry

    def _fresh_connection(self) -> bool:
        """Swap in a new connection after a failed revert; False when none can be had."""
        if self._reconnect is None:
            return False
        try:
            self.runner.transport = self._reconnect()
        except GamedayError:
            return False
        return True

    def revert_all(self, plans: Sequence[FaultPlan]) -> dict[str, Outcome]:
        results = self.runner.revert_all_now() if self.runner.armed else {}
        outcomes = {
            fault_id: _outcome(result, "revert", ()) for fault_id, result in results.items()
        }
        for plan in plans:  # faults the runner no longer holds: revert again, it is idempotent
            if plan.fault_id not in outcomes:
                outcomes[plan.fault_id] = self.revert(plan)
        return outcomes

    def heartbeat(self) -> bool:
        # No armed fault, no lease to keep: nothing can have been lost.
        return self.runner.heartbeat() if self.runner.armed else True

    def run(self, command: str, timeout: float) -> Outcome:
        result = self.runner.run(command, timeout)  # journaled by the engine as RollbackRan
        return Outcome(result.ok, result.detail, (), result.duration)

    def close(self) -> None:
        self.runner.close()


def _outcome(result: StepResult, step: Step, lines: Sequence[str]) -> Outcome:
    command = " ; ".join(lines) if lines else result.step
    record = CommandRecord(
        step, command, 0 if result.ok else 1, result.duration, "" if result.ok else result.detail
    )
    detail = result.detail
    if result.via and result.via != "console":
        detail = f"{detail} (via {result.via})".strip()
    return Outcome(result.ok, detail, (record,), result.duration, timer=result.timer)
