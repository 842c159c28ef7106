"""The engine's ports: everything the engine needs from the world, as protocols and the values
that cross them. Adapters implement them (SSH, local shell, Prometheus, HTTP, psutil), the demo
implements them in memory, and the engine and its tests only ever see these.

    Transport, Channel      one live connection to one host: run a command, open a channel
    HostDriver              one host's faults: check, arm, inject, revert, heartbeat (never raises)
    MetricSource            one probe: sample() → Reading, within the probe's timeout
    Clock                   now() and a cancellable wait, so tests run on a fast clock
    LadderGate              go or no-go to the next stage of a blast-radius ladder

Errors: a Transport raises only `gameday.errors.TransportError` subclasses (each names the host);
a non-zero exit status is *not* an error at this level, it is `CommandResult.status`. HostDriver
and MetricSource never raise: a failure is an `Outcome` with `ok=False` or a `Reading` without
a value, with a reason a facilitator can act on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from gameday.core.faults import FaultPlan
from gameday.core.session.events import RevertBy, Step
from gameday.errors import CommandFailed, GamedayError

# --- connections to hosts ------------------------------------------------------------------


@dataclass(frozen=True)
class CommandResult:
    """What one command did on one host."""

    host: str
    command: str
    status: int
    """The command's exit status (a shell's 126/127 for not found / not executable)."""
    stdout: str
    stderr: str
    duration: float
    """Seconds from sending the command to its exit status."""

    @property
    def ok(self) -> bool:
        return self.status == 0

    def check(self) -> CommandResult:
        """Return self when the status is 0; otherwise raise CommandFailed with stderr."""
        if self.status != 0:
            raise CommandFailed(self.host, self.command, self.status, self.stderr)
        return self


class Channel(Protocol):
    """A long-lived command on a host that the console talks to line by line."""

    def write_line(self, line: str) -> None:
        """Send one line (a newline is added). Raises TransportError when the channel is gone."""
        ...

    def read_line(self, timeout: float) -> str | None:
        """The next line without its newline; None at end of output (the command exited).

        Raises CommandTimedOut when no full line arrives within `timeout` seconds.
        """
        ...

    def is_open(self) -> bool:
        """False once the command on the host has exited or the connection is gone."""
        ...

    def close(self) -> None:
        """Close our end (the command sees end of input). Idempotent, never raises."""
        ...


class Transport(Protocol):
    """One connection to one host, reused for every command of a session."""

    host: str
    """The host's name as the inventory spells it (used in every error and result)."""

    def run(self, command: str, *, timeout: float, stdin: str | None = None) -> CommandResult:
        """Run one shell command and wait for its exit, at most `timeout` seconds.

        stdout and stderr are drained while waiting, so large outputs never stall the command.
        Raises CommandTimedOut past the deadline, HostUnreachable when the connection is lost.
        """
        ...

    def open_channel(self, command: str) -> Channel:
        """Start a long-lived command whose stdin/stdout the console keeps open."""
        ...

    def close(self) -> None:
        """Close the connection and every channel on it. Idempotent, never raises."""
        ...


OpenTransport = Callable[[str], Transport]
"""Open a connection to the named host (raises TransportError)."""


@dataclass(frozen=True)
class ConnectOutcome:
    """One host's result of `Connector.connect_all`: a transport or the error that prevented it."""

    host: str
    transport: Transport | None
    error: GamedayError | None
    duration: float


# --- faults on one host ---------------------------------------------------------------------


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
    injected: bool = False
    """arm only: the inject (and its verify) already ran in the arm's round trip, so `inject`
    answers without asking the host again (the session journals both facts at once)."""


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

    def lease_loss(self) -> LeaseLoss | None:
        """Once `heartbeat` returned False: how long the host was silent and when its lease
        reverted it; None while the host answers (or when the driver cannot tell)."""
        ...

    def run(self, command: str, timeout: float) -> Outcome:
        """A rollback step or other plain command."""
        ...

    def close(self) -> None: ...


# --- steady state -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    value: float | None
    """None means no data: an empty result, NaN, a timeout or an error. Never a pass."""
    detail: str = ""
    """Why there is no data, or a short note about the value (e.g. "3/3 requests ok")."""


class MetricSource(Protocol):
    """Samples one probe. Must return within the probe's timeout and never raise."""

    name: str

    def sample(self) -> Reading: ...

    def close(self) -> None: ...


# --- time -------------------------------------------------------------------------------------


class Clock(Protocol):
    def now(self) -> float:
        """Wall-clock UTC epoch seconds (what the journal and host deadlines use)."""
        ...

    def wait(self, seconds: float, cancel: threading.Event) -> bool:
        """Sleep up to `seconds`; return True early when `cancel` is set."""
        ...


# --- the blast-radius ladder ------------------------------------------------------------------


@dataclass(frozen=True)
class StageReport:
    """What the owner sees before deciding: how the stage went and who joins next."""

    stage: int
    of: int
    hosts: tuple[str, ...]
    next_hosts: tuple[str, ...]
    joining: tuple[str, ...]
    """The hosts the next stage adds."""
    summary: str
    """One line per probe: its worst value during the stage."""
    owner: str
    """Who decides: the session's owner participant, else its facilitator; may be empty."""
    owner_role: str = ""


@dataclass(frozen=True)
class Decision:
    go: bool
    by: str
    """Who decided (a person's name), or empty for a policy."""
    role: str = ""
    how: str = "console"
    """console | --ladder auto | --ladder stop | no answer | console closed."""


class LadderGate(Protocol):
    def decide(self, report: StageReport, cancel: threading.Event) -> Decision | None:
        """Go or no-go to the next stage. Blocks until decided, bounded in time; returns None
        when `cancel` is set first (the kill switch or an abort ended the session)."""
        ...
