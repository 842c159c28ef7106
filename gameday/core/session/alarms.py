"""Alarms: the facts that stop or endanger a session, worded for the console's banner.

An alarm is derived from one event by the session's fold (`SessionState.apply`), so every
view of the session sees the same alarms. Each says what happened and what happens next.
To raise an alarm for a new kind of event,
add a function for its type to `ALARM_RULES`: the console's banner shows it with no change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from gameday.core.session import events as ev
from gameday.core.wording import (
    CONFIRMED_BY_LEASE,
    fault_name,
    host_timer_text,
    outcomes_text,
    utc_time,
)

AlarmKind = Literal["abort", "lease_lost", "kill_switch", "unconfirmed"]

LEASE_LOST_RULE = "lease lost"
"""The rule name the engine gives an abort caused by a host that stopped answering its lease."""


@dataclass(frozen=True)
class Alarm:
    kind: AlarmKind
    seq: int
    """The event that raised (or last changed) the alarm: newer than an acknowledgement
    means it is shown again."""
    title: str
    """`ABORT RULE FIRED`, `KILL SWITCH`, … (shown in capitals, first)."""
    text: str
    """What happened, with the values and the hosts."""
    next_step: str
    """What happens now, or what a person must do."""
    severe: bool = True
    """False for good news: a kill switch whose every host came back clean, a fault confirmed
    clean after all."""
    subject: str = ""
    """What the alarm is about (`host` or `host/fault`): a later alarm about the same subject
    replaces it instead of raising one more banner."""

    @property
    def key(self) -> str:
        """Alarms with the same key replace each other (the kill switch's progress, a fault
        first unconfirmed then confirmed, a host lost then its abort)."""
        if self.kind in ("kill_switch", "abort"):
            return self.kind
        if self.kind == "lease_lost":
            return f"lease_lost:{self.subject}" if self.subject else "lease_lost"
        return f"{self.kind}:{self.subject or self.seq}"


def _abort(e: ev.AbortTriggered) -> Alarm:
    if e.rule == LEASE_LOST_RULE:
        return Alarm(
            "lease_lost",
            e.seq,
            "LEASE LOST",
            e.reason,
            "the host reverted its faults by itself; every other fault is being reverted and "
            "each revert is confirmed",
        )
    if e.rule == "baseline":
        return Alarm(
            "abort",
            e.seq,
            "NOT STARTED",
            e.reason,
            "nothing was injected; the session ends",
        )
    return Alarm(
        "abort",
        e.seq,
        "ABORT RULE FIRED",
        f"{e.rule} ({e.reason})",
        "every fault is being reverted, then rollback and cooldown run",
    )


def _kill_pulled(e: ev.KillSwitchPulled) -> Alarm:
    why = f": {e.reason}" if e.reason else ""
    return Alarm(
        "kill_switch",
        e.seq,
        "KILL SWITCH",
        f"pulled ({e.source}){why}; reverting every fault on every host…",
        "nothing more is injected; each host's outcome follows",
    )


def _kill_done(e: ev.KillSwitchDone) -> Alarm:
    clean = all(outcome == "clean" for outcome in e.hosts.values())
    next_step = (
        "nothing more is injected; the session ends"
        if clean
        else "look at the hosts not clean, or run `gameday recover` on the journal"
    )
    return Alarm(
        "kill_switch",
        e.seq,
        "KILL SWITCH",
        f"done in {e.latency * 1000:.0f} ms: {outcomes_text(e.hosts)}",
        next_step,
        severe=not clean,
    )


def _reverted(e: ev.FaultReverted) -> Alarm | None:
    fault, subject = fault_name(e.kind, e.fault_id), f"{e.host}/{e.fault_id}"
    if e.verified and e.by == "lease":  # an unconfirmed fault, confirmed after all
        return Alarm(
            "unconfirmed",
            e.seq,
            "CONFIRMED CLEAN",
            f"{fault} on {e.host}: {CONFIRMED_BY_LEASE}",
            "nothing is left to do for this fault",
            severe=False,
            subject=subject,
        )
    if e.verified:
        return None
    why = e.detail.removeprefix("unconfirmed: ") or "no confirmation"
    return Alarm(
        "unconfirmed",
        e.seq,
        "REVERT UNCONFIRMED",
        f"{fault} on {e.host}: {why}",
        f"a person must look at {e.host} (or run `gameday recover` on the journal)",
        subject=subject,
    )


def _unconfirmed_timer(alarm: Alarm, deadline: float | None) -> Alarm:
    if deadline is None:
        return alarm
    step = f"{alarm.next_step}; {host_timer_text(deadline)}"
    return dataclasses.replace(alarm, next_step=step)


def _host_lost(e: ev.HostLost) -> Alarm:
    """A host that stopped answering its lease (the session's abort for it follows)."""
    return Alarm(
        "lease_lost",
        e.seq,
        "HOST LOST",
        f"{e.host} has not answered its lease for {e.silent_for:.0f} s; the session aborts",
        f"its own lease reverts this session's faults by {utc_time(e.reverted_by)} UTC; "
        "not confirmed until the host is reached again",
        subject=e.host,
    )


ALARM_RULES: dict[type[ev.Event], Callable[[Any], Alarm | None]] = {
    ev.AbortTriggered: _abort,
    ev.KillSwitchPulled: _kill_pulled,
    ev.KillSwitchDone: _kill_done,
    ev.FaultReverted: _reverted,
    ev.HostLost: _host_lost,
}
"""Event type → the alarm it raises (or None). The one place to plug a new alarm in."""


def alarm_for(event: ev.Event, deadline: float | None = None) -> Alarm | None:
    """The alarm an event raises, if any; `deadline` is the fault's host timer, if known."""
    rule = ALARM_RULES.get(type(event))
    alarm = rule(event) if rule is not None else None
    if alarm is not None and alarm.kind == "unconfirmed" and alarm.severe:
        return _unconfirmed_timer(alarm, deadline)
    return alarm
