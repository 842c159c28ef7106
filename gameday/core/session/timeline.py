"""One plain sentence per event: the timeline that the headless printer and the console show."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from gameday.core.session import events as ev
from gameday.core.wording import (
    CONFIRMED_BY_LEASE,
    count,
    fault_name,
    host_timer_text,
    joined_text,
    lost_sentence,
    outcomes_text,
    quantity,
    reverted_by_text,
    seconds_text,
    verdict_word,
)


def describe(event: ev.Event) -> str | None:
    """A sentence for the event, or None for events too fine-grained for a timeline."""
    render = _RENDERERS.get(type(event))
    return render(event) if render else None


def timeline_line(event: ev.Event, started: float | None) -> str | None:
    """`HH:MM:SS  T+mm:ss  actor  sentence`, UTC; None when the event is not shown."""
    text = describe(event)
    if text is None:
        return None
    clock = time.strftime("%H:%M:%S", time.gmtime(event.ts))
    return f"{clock}  {offset(event.ts, started):>7}  {event.actor:<8} {text}"


def offset(ts: float, started: float | None) -> str:
    """`T+mm:ss` (or `T+h:mm:ss`) from the session start."""
    seconds = max(0, round(ts - (started if started is not None else ts)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"T+{hours}:{minutes:02}:{secs:02}" if hours else f"T+{minutes:02}:{secs:02}"


def _started(e: ev.SessionStarted) -> str:
    return f"session {e.session_id} started: {e.scenario_title} ({e.scenario_id})"


def _plan(e: ev.PlanMade) -> str:
    spared = f", {len(e.spared)} spared" if e.spared else ""
    return f"blast radius: {count(len(e.targets), 'target')} {', '.join(e.targets)}{spared}"


def _preflight(e: ev.PreflightChecked) -> str | None:
    if e.ok:
        return None
    return f"preflight FAILED on {e.host}: {e.check}: {e.detail}"


def _sample(e: ev.ProbeSampled) -> str | None:
    # A value out of bounds is said once, by the ThresholdCrossed that comes with it.
    if e.value is None:
        return f"probe {e.probe}: no data" + (f" ({e.detail})" if e.detail else "")
    return None


def _crossed(e: ev.ThresholdCrossed) -> str:
    value = quantity(e.value, e.unit)
    if e.recovered:
        return f"{e.probe} back within its threshold: {value}"
    return f"{e.probe} left its threshold: {value}, {e.direction} {quantity(e.bound, e.unit)}"


def _reverted(e: ev.FaultReverted) -> str:
    fault = fault_name(e.kind, e.fault_id)
    if e.verified and e.by == "lease":
        return f"{e.host}: {fault} {CONFIRMED_BY_LEASE}"
    if e.verified:
        took = seconds_text(e.duration)
        return f"{fault} reverted on {e.host} by {reverted_by_text(e.by)}, verified in {took}"
    why = e.detail.removeprefix("unconfirmed: ")  # the headline says it already
    return f"REVERT UNCONFIRMED: {fault} on {e.host}: {why}"


def _injected(e: ev.FaultInjected) -> str:
    summary = f": {e.summary}" if e.summary else ""
    check = "" if e.verified else " (NOT verified active)"
    return f"injected {fault_name(e.kind, e.fault_id)} on {e.host}{summary}{check}"


def _kill_done(e: ev.KillSwitchDone) -> str:
    return f"kill switch done in {e.latency * 1000:.0f} ms: {outcomes_text(e.hosts)}"


def _note(e: ev.NoteAdded) -> str:
    label = {"note": "note", "impact": "impact noticed", "action": "action item"}.get(
        e.tag, e.tag.replace("_", " ")
    )
    extra = f" (owner {e.owner}, due {e.due})" if e.tag == "action" and (e.owner or e.due) else ""
    return f"{label}: {e.text}{extra}"


def _stage_started(e: ev.StageStarted) -> str:
    joining = f"; joining: {', '.join(e.joining)}" if e.stage > 1 and e.joining else ""
    return f"stage {e.stage} of {e.of} starts on {', '.join(e.hosts)}{joining}"


def _stage_ended(e: ev.StageEnded) -> str:
    word = {
        "held": "held",
        "broke": "BROKE",
        "aborted": "ABORTED",
        "unconfirmed": "REVERT UNCONFIRMED",
    }[e.outcome]
    return f"stage {e.stage} of {e.of} {word}" + (f": {e.reason}" if e.reason else "")


def _decided(e: ev.LadderDecided) -> str:
    step = (
        f"go to stage {e.stage + 1}" if e.go else f"no-go: the ladder stops after stage {e.stage}"
    )
    who = f" ({e.how})" if e.how and e.how != "console" else ""
    return f"{step}{who}"


_RENDERERS: dict[type[ev.Event], Callable[[Any], str | None]] = {
    ev.SessionStarted: _started,
    ev.ParticipantJoined: lambda e: joined_text(e.name, e.role),
    ev.PlanMade: _plan,
    ev.PhaseChanged: lambda e: f"phase: {e.phase}",
    ev.PreflightChecked: _preflight,
    ev.FaultArmed: lambda e: (
        f"armed {fault_name(e.kind, e.fault_id)} on {e.host}; {host_timer_text(e.deadline)}"
    ),
    ev.FaultInjected: _injected,
    ev.FaultFailed: lambda e: (
        f"{fault_name(e.kind, e.fault_id)} on {e.host} FAILED at {e.step}: {e.reason}"
    ),
    ev.FaultReverted: _reverted,
    ev.HostLost: lambda e: "LEASE LOST " + lost_sentence(e.host, e.silent_for, e.reverted_by),
    ev.ProbeSampled: _sample,
    ev.ThresholdCrossed: _crossed,
    ev.AbortTriggered: lambda e: f"ABORT: {e.rule} ({e.reason})",
    ev.KillSwitchPulled: lambda e: (
        f"KILL SWITCH pulled ({e.source})" + (f": {e.reason}" if e.reason else "")
    ),
    ev.KillSwitchDone: _kill_done,
    ev.RollbackRan: lambda e: (
        f"rollback {e.name!r} on {e.host}: {'ok' if e.ok else 'FAILED'}"
        + (f" ({e.detail})" if e.detail and not e.ok else "")
    ),
    ev.NoteAdded: _note,
    ev.VerdictReached: lambda e: f"verdict: {verdict_word(e.verdict)} — {e.reason}",
    ev.SessionEnded: lambda e: "session ended",
    ev.LadderPlanned: lambda e: (
        f"ladder of {len(e.stages)} stages: "
        + ", ".join(str(len(hosts)) for hosts in e.stages)
        + " hosts"
    ),
    ev.StageStarted: _stage_started,
    ev.StageEnded: _stage_ended,
    ev.LadderDecided: _decided,
    ev.FindingsExported: lambda e: f"findings exported to {e.path}",
    ev.NotificationFailed: lambda e: (
        f"NOTIFICATION FAILED: {e.event} to {e.target}: {e.reason}"
        + (f" ({e.attempts} attempts)" if e.attempts > 1 else "")
    ),
}
