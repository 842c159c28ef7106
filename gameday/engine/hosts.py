"""The engine's port for faults on one host: check, arm, inject, revert — each verified.

The composition root provides one `HostDriver` per target host (over SSH for real sessions,
in memory for tests and the demo). Methods never raise: every failure is an `Outcome` with
`ok=False` and a reason a facilitator can act on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from gameday.core.events import Step
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


@dataclass(frozen=True)
class LeaseLoss:
    """A host the console lost: no answer to its lease for longer than the lease allows."""

    silent_for: float
    """Seconds without an answer from the host's watcher when it was declared lost."""
    reverted_by: float
    """UTC epoch seconds: the host's own lease has reverted the session's faults by then."""


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

    def revert_all(self, plans: Sequence[FaultPlan]) -> dict[str, Outcome]:
        """The kill switch's path: revert every listed fault now, fastest way first."""
        ...

    def heartbeat(self) -> bool:
        """Renew the host's lease; the host reverts by itself when renewals stop.

        False when the host is no longer listening: it has reverted this session's faults by
        itself (its lease ran out, e.g. the network to it was cut) or is doing so.
        """
        ...

    def lease_loss(self) -> LeaseLoss | None:
        """Once `heartbeat` returned False: how long the host was silent and when its lease
        reverted it; None while the host answers (or when the driver cannot tell)."""
        ...

    def run(self, command: str, timeout: float) -> Outcome:
        """A rollback step or other plain command."""
        ...

    def close(self) -> None: ...
