"""The engine's port for faults on one host: check, arm, inject, revert — each verified.

The composition root provides one `HostDriver` per target host (over SSH for real sessions,
in memory for tests and the demo). Methods never raise: every failure is an `Outcome` with
`ok=False` and a reason a facilitator can act on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from gameday.core.events import RevertBy, Step
from gameday.core.faults import FaultPlan


@dataclass(frozen=True)
class CommandRecord:
    """One command sent to a host, for the journal (the command text is redacted there)."""

    step: Step
    command: str
    status: int | None
    duration: float
    detail: str = ""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str = ""
    commands: tuple[CommandRecord, ...] = ()
    duration: float = 0.0
    timer: str = ""
    """arm only: which host-side timer guards the fault (systemd-run, setsid, …)."""
    answered: bool = True
    """revert only: False when the host gave no answer (connection lost, timed out), so
    nothing is known; True when `ok` is the host's own word."""


class PendingRevert(Protocol):
    """A revert already asked of one host, whose answer is still to be read."""

    def gather(self, deadline: float) -> dict[str, Outcome]:
        """Each fault's outcome, by fault id; returns by `deadline` (time.monotonic()), a
        fault whose answer did not come by then with `answered=False`. Never raises."""
        ...


class RevertLater:
    """A PendingRevert for drivers that cannot split asking from answering (the demo, tests):
    the whole revert runs when gathered."""

    def __init__(self, run: Callable[[float], dict[str, Outcome]]) -> None:
        self._run = run

    def gather(self, deadline: float) -> dict[str, Outcome]:
        return self._run(deadline)


class HostDriver(Protocol):
    host: str

    def check(self, plan: FaultPlan) -> Outcome:
        """Capability: tools, privileges, kernel support. Changes nothing on the host."""
        ...

    def arm(self, plan: FaultPlan, deadline: float) -> Outcome:
        """Leave the fault's record and a host-side timer that reverts it at `deadline`."""
        ...

    def inject(self, plan: FaultPlan) -> Outcome:
        """Inject, then verify the fault is active; ok only when verified."""
        ...

    def revert(self, plan: FaultPlan) -> Outcome:
        """Revert (idempotent), verify it is gone, disarm; ok only when verified gone."""
        ...

    def send_revert(self, plans: Sequence[FaultPlan], by: RevertBy) -> PendingRevert:
        """Ask the host to revert every listed fault now, without waiting for its answer.

        The engine's one revert path (kill switch, end of a wave, a failed fault) calls this
        for every host before gathering any answer, so it must not wait on the network
        (writing a line into an open channel is fine). Never raises.
        """
        ...

    def heartbeat(self) -> bool:
        """Renew the host's lease; the host reverts by itself when renewals stop.

        False when the host is no longer listening: it has reverted this session's faults by
        itself (its lease ran out, e.g. the network to it was cut) or is doing so.
        """
        ...

    def run(self, command: str, timeout: float) -> Outcome:
        """A rollback step or other plain command."""
        ...

    def close(self) -> None: ...
