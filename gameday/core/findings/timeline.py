"""The findings' timeline: system events and human notes merged, in journal order.

Probe samples are left out (the steady-state section shows them); successful commands are left
out (the fault events say what they achieved) but failed ones stay, with the command; runs of
passing preflight checks fold into one line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from gameday.core.findings.model import TimelineEntry
from gameday.core.findings.text import (
    count,
    number,
    redact_command,
    redact_prose,
    seconds_text,
)
from gameday.core.session import events as ev
from gameday.core.session.samples import Samples
from gameday.core.session.timeline import describe

TAG_LABELS = {
    "note": "note",
    "impact": "impact noticed",
    "went_well": "went well",
    "went_wrong": "went wrong",
    "lucky": "lucky",
    "action": "action item",
}


def timeline(
    events: Sequence[ev.Event],
    units: Mapping[str, str] | None = None,
    samples: Samples | None = None,
) -> tuple[TimelineEntry, ...]:
    """The merged timeline; `units` (probe → unit) makes threshold lines read `1.8%`.

    `samples`: the journal's samples when `events` leaves them out (a sample between two
    passing checks ends a run of them, as it does when it is among the events)."""
    units = units or {}
    entries: list[TimelineEntry] = []
    passed: list[ev.PreflightChecked] = []
    for event in events:
        if isinstance(event, ev.PreflightChecked) and event.ok:
            if passed and samples is not None and samples.any_between(passed[-1].seq, event.seq):
                entries.append(_folded_preflight(passed))
                passed = []
            passed.append(event)
            continue
        if passed:
            entries.append(_folded_preflight(passed))
            passed = []
        entry = _entry(event)
        if isinstance(event, ev.ThresholdCrossed):
            entry = _crossing(event, units.get(event.probe, ""))
        if entry is not None:
            entries.append(entry)
    if passed:
        entries.append(_folded_preflight(passed))
    return tuple(entries)


def _folded_preflight(passed: list[ev.PreflightChecked]) -> TimelineEntry:
    hosts = sorted({p.host for p in passed})
    text = f"preflight: {count(len(passed), 'check')} passed on {', '.join(hosts)}"
    return TimelineEntry(passed[0].ts, ev.SYSTEM, "preflight", text)


def _entry(event: ev.Event) -> TimelineEntry | None:
    describe = _DESCRIBE.get(type(event))
    if describe is None:
        return None
    described = describe(event)
    if described is None:
        return None
    text, command = described
    tag = event.tag if isinstance(event, ev.NoteAdded) else ""
    return TimelineEntry(event.ts, event.actor, event.type, text, command, tag, _important(event))


def _important(event: ev.Event) -> bool:
    """What a reader scanning the timeline must not miss."""
    if isinstance(event, ev.NoteAdded):
        return event.tag in ("impact", "went_wrong", "action")
    if isinstance(event, ev.FaultReverted | ev.FaultInjected):
        return not event.verified
    if isinstance(event, ev.RollbackRan):
        return not event.ok and event.required
    if isinstance(event, ev.StageEnded):
        return event.outcome != "held"
    if isinstance(event, ev.LadderDecided):
        return not event.go
    return isinstance(
        event,
        ev.AbortTriggered
        | ev.KillSwitchPulled
        | ev.FaultFailed
        | ev.CommandRan
        | ev.PreflightChecked,
    )


Described = tuple[str, str] | None


def _started(e: ev.SessionStarted) -> Described:
    env = f" in {e.environment}" if e.environment else ""
    return f"session {e.session_id} started{env} ({e.mode}): {e.scenario_title}", ""


def _plan(e: ev.PlanMade) -> Described:
    targets = ", ".join(e.targets) or "none"
    return (
        f"blast radius: {count(len(e.targets), 'target')} ({targets}), {len(e.spared)} spared",
        "",
    )


def _phase(e: ev.PhaseChanged) -> Described:
    return f"phase: {e.phase}", ""


def _preflight(e: ev.PreflightChecked) -> Described:
    detail = f": {redact_prose(e.detail)}" if e.detail else ""
    return f"preflight FAILED on {e.host}: {e.check}{detail}", ""


def _command(e: ev.CommandRan) -> Described:
    if e.status == 0:
        return None
    outcome = "got no answer (timeout or unreachable)" if e.status is None else f"exited {e.status}"
    detail = f": {redact_prose(e.detail)}" if e.detail else ""
    text = (
        f"{e.step} of {e.fault_id} on {e.host} {outcome} after {seconds_text(e.duration)}{detail}"
    )
    return text, redact_command(e.command)


def _crossing(e: ev.ThresholdCrossed, unit: str) -> TimelineEntry:
    if e.recovered:
        text = f"{e.probe} back within its threshold ({number(e.value, unit)})"
    else:
        text = f"{e.probe} {e.direction} {number(e.bound, unit)}: {number(e.value, unit)}"
    return TimelineEntry(e.ts, e.actor, e.type, text, important=not e.recovered)


def _rollback(e: ev.RollbackRan) -> Described:
    outcome = "ok" if e.ok else ("FAILED" if e.required else "failed (optional)")
    detail = f": {redact_prose(e.detail)}" if e.detail else ""
    return f"rollback {e.name!r} on {e.host}: {outcome}{detail}", ""


def _note(e: ev.NoteAdded) -> Described:
    label = TAG_LABELS.get(e.tag, e.tag)
    text = redact_prose(e.text)
    if e.tag == "action":
        extra = ", ".join(
            x for x in (e.owner and f"owner {e.owner}", e.due and f"due {e.due}") if x
        )
        text = f"{text} ({extra})" if extra else text
    return f"{label}: {text}", ""


def _ended(e: ev.SessionEnded) -> Described:
    return "session ended", ""


def _same_words(event: ev.Event) -> Described:
    """The event read as it does in the console and the headless timeline."""
    text = describe(event)
    return (redact_prose(text), "") if text else None


_DESCRIBE: dict[type[ev.Event], Callable[[Any], Described]] = {
    ev.SessionStarted: _started,
    ev.ParticipantJoined: _same_words,
    ev.PlanMade: _plan,
    ev.PhaseChanged: _phase,
    ev.PreflightChecked: _preflight,
    ev.CommandRan: _command,
    ev.FaultArmed: _same_words,
    ev.FaultInjected: _same_words,
    ev.FaultFailed: _same_words,
    ev.FaultReverted: _same_words,
    ev.AbortTriggered: _same_words,
    ev.KillSwitchPulled: _same_words,
    ev.KillSwitchDone: _same_words,
    ev.RollbackRan: _rollback,
    ev.NoteAdded: _note,
    ev.VerdictReached: _same_words,
    ev.SessionEnded: _ended,
    ev.LadderPlanned: _same_words,
    ev.StageStarted: _same_words,
    ev.StageEnded: _same_words,
    ev.LadderDecided: _same_words,
}
