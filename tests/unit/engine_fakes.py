"""In-memory stand-ins for the engine's ports: hosts, metric sources and time.

Used only by the engine's unit tests, where the point is the order of phases and decisions at
full speed; the real hosts (SSH, tc, iptables, stress-ng) are exercised by the lab tests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from gameday.core.faults import FaultPlan, HostContext
from gameday.core.session.events import RevertBy
from gameday.engine.ports import (
    CommandRecord,
    LeaseLoss,
    Outcome,
    PendingRevert,
    Reading,
    RevertLater,
)


class FakeClock:
    """Time moves only when the engine waits; a wait ends early when cancelled."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.t = start
        self.lock = threading.Lock()

    def now(self) -> float:
        with self.lock:
            return self.t

    def wait(self, seconds: float, cancel: threading.Event) -> bool:
        if cancel.is_set():
            return True
        with self.lock:
            self.t += max(seconds, 0.0)
        return cancel.is_set()

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.t += seconds


@dataclass
class FakeHost:
    """A host whose faults are a set; it can be told to fail a step."""

    host: str
    fail: dict[str, str] = field(default_factory=dict)
    """step → reason: check, arm, inject, revert, run (a rollback step)."""
    active: set[str] = field(default_factory=set)
    armed: set[str] = field(default_factory=set)
    calls: list[tuple[str, str]] = field(default_factory=list)
    on_inject: Callable[[FaultPlan], None] | None = None
    heartbeats: int = 0
    lease_lost: bool = False
    """True: the host stops answering heartbeats and reverts its faults by itself."""
    ran: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _step(self, step: str, plan: FaultPlan) -> Outcome | None:
        with self.lock:
            self.calls.append((step, plan.fault_id))
        if step in self.fail:
            return Outcome(False, self.fail[step])
        return None

    def check(self, plan: FaultPlan) -> Outcome:
        return self._step("check", plan) or Outcome(True, "ok")

    def arm(self, plan: FaultPlan, deadline: float) -> Outcome:
        failed = self._step("arm", plan)
        if failed:
            return failed
        self.armed.add(plan.fault_id)
        return Outcome(True, timer="setsid")

    def inject(self, plan: FaultPlan) -> Outcome:
        if self.on_inject:
            self.on_inject(plan)
        failed = self._step("inject", plan)
        if failed:
            return failed
        self.active.add(plan.fault_id)
        record = CommandRecord("inject", plan.inject[0], 0, 0.01)
        return Outcome(True, commands=(record,))

    def revert(self, plan: FaultPlan) -> Outcome:
        failed = self._step("revert", plan)
        if failed:
            return failed
        self.active.discard(plan.fault_id)
        self.armed.discard(plan.fault_id)
        return Outcome(True, duration=0.02)

    def send_revert(self, plans: Sequence[FaultPlan], by: RevertBy) -> PendingRevert:
        return RevertLater(lambda _deadline: {p.fault_id: self.revert(p) for p in plans})

    def heartbeat(self) -> bool:
        self.heartbeats += 1
        if self.lease_lost and self.active:
            self.active.clear()  # the host reverted by itself, as a lease watcher does
            self.armed.clear()
            return False
        return True

    def lease_loss(self) -> LeaseLoss | None:
        return LeaseLoss(4.0, 1_700_000_100.0) if self.lease_lost else None

    def run(self, command: str, timeout: float) -> Outcome:
        self.ran.append(command)
        if "run" in self.fail:
            return Outcome(False, self.fail["run"])
        return Outcome(True)

    def close(self) -> None:
        pass


class FakeSource:
    """Returns the given values in order, then repeats the last one; None means no data."""

    def __init__(self, name: str, values: Sequence[float | None]) -> None:
        self.name = name
        self._values: Iterator[float | None] = iter(values)
        self._last: float | None = values[-1] if values else None
        self.count = 0

    def sample(self) -> Reading:
        self.count += 1
        value = next(self._values, self._last)
        return Reading(value, "" if value is not None else "empty result")

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class FakeFault:
    """A fault kind with fixed commands: enough for the engine, which never reads them."""

    kind: str = "cpu_stress"
    line: int = 0
    checks: bool = True
    """False: like a custom fault without verify commands."""
    name: str | None = None

    def plan(self, ctx: HostContext, fault_id: str, duration: float) -> FaultPlan:
        return FaultPlan(
            kind=self.kind,
            fault_id=fault_id,
            host=ctx.name,
            capability=("command -v stress-ng",),
            inject=(f"stress-ng --cpu 1 --timeout {int(duration)}s",),
            verify_active=("true",),
            revert=("true",),
            verify_reverted=("true",),
            summary=f"{self.kind} on {ctx.name}",
            verified=self.checks,
            revert_verified=self.checks,
        )
