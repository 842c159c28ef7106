"""RunnerDriver: how the engine's host port maps onto a FaultRunner's steps.

The runner here is a stand-in that only answers revert(); the real FaultRunner is driven over
real SSH by the lab tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from gameday.core.faults import FaultPlan
from gameday.engine.drivers import RunnerDriver
from gameday.engine.faultrun import FaultRunner, StepResult
from gameday.engine.ports import Transport
from gameday.errors import HostUnreachable

PLAN = FaultPlan(
    "bandwidth", "f1", "web-1", (), ("tc qdisc add",), (), ("tc qdisc del",), ("true",)
)


@dataclass
class StubRunner:
    answers: list[bool]
    host: str = "web-1"
    transport: object = "old"
    seen: list[object] = field(default_factory=list)
    lost_by: float | None = None

    def revert(self, plan: FaultPlan, timeout: object = None, requester: object = "") -> StepResult:
        self.seen.append(self.transport)
        ok = self.answers.pop(0)
        return StepResult("web-1", "revert", plan.fault_id, ok, "" if ok else "connection lost")


def test_a_revert_over_a_broken_connection_is_retried_over_a_fresh_one() -> None:
    runner = StubRunner([False, True])
    driver = RunnerDriver(cast(FaultRunner, runner), reconnect=lambda: cast(Transport, "new"))
    outcome = driver.revert(PLAN)
    assert outcome.ok
    assert runner.seen == ["old", "new"]


def test_when_no_connection_can_be_had_the_revert_stays_unconfirmed() -> None:
    def refuse() -> object:
        raise HostUnreachable("web-1", "connection refused")

    runner = StubRunner([False])
    outcome = RunnerDriver(runner, reconnect=refuse).revert(PLAN)  # type: ignore[arg-type]
    assert not outcome.ok and "connection lost" in outcome.detail


def test_without_reconnect_a_failed_revert_is_reported_once() -> None:
    runner = StubRunner([False])
    outcome = RunnerDriver(runner).revert(PLAN)  # type: ignore[arg-type]
    assert not outcome.ok and len(runner.seen) == 1


def test_a_lost_host_gets_one_short_attempt_and_no_reconnect() -> None:
    runner = StubRunner([False], lost_by=1_700_000_000.0)
    reconnects: list[str] = []

    def reconnect() -> Transport:
        reconnects.append("x")
        return cast(Transport, "new")

    driver = RunnerDriver(cast(FaultRunner, runner), reconnect=reconnect)
    outcome = driver.revert(PLAN)
    assert not outcome.ok and runner.seen == ["old"] and reconnects == []


@dataclass
class LeaseRunner:
    """A runner with nothing armed whose lease watcher may still be listening."""

    lease_open: bool
    beats: int = 0
    armed: dict[str, FaultPlan] = field(default_factory=dict)
    host: str = "web-1"
    lost_by: float | None = None

    def has_lease(self) -> bool:
        return self.lease_open

    def heartbeat(self) -> bool:
        self.beats += 1
        return True


def test_the_lease_is_renewed_between_stages_while_nothing_is_armed() -> None:
    runner = LeaseRunner(lease_open=True)
    driver = RunnerDriver(cast(FaultRunner, runner))
    assert driver.heartbeat() and driver.heartbeat()
    assert runner.beats == 2, "a watcher left unrenewed reverts and quits while the owner decides"


def test_with_no_lease_and_nothing_armed_there_is_nothing_to_renew() -> None:
    runner = LeaseRunner(lease_open=False)
    assert RunnerDriver(cast(FaultRunner, runner)).heartbeat()
    assert runner.beats == 0


def test_a_revert_says_in_plain_words_how_it_was_confirmed() -> None:
    from gameday.engine.drivers import _outcome

    by_watcher = StepResult("web-1", "revert", "f1", True, via="watcher")
    assert _outcome(by_watcher, "revert", ()).detail == "confirmed by its lease watcher"
    late = StepResult("web-1", "revert", "f1", True, detail="took 2 tries", via="fallback")
    assert _outcome(late, "revert", ()).detail == (
        "took 2 tries (confirmed by a second command, its watcher silent)"
    )
    by_console = StepResult("web-1", "revert", "f1", True, via="console")
    assert _outcome(by_console, "revert", ()).detail == ""
