"""The findings document, built from a session's journal alone.

`build_findings(journal, sha256)` is a pure function from the journal's events to a frozen
`Findings`; `render_markdown`, `render_json` and `render_grafana_annotations` turn that into the
document a team reads, a JSON document for tooling and Grafana annotations. Any prefix of a
journal — a finished, aborted or crashed session, even an empty file — gives a document that
says plainly what is missing; nothing here raises on a journal that `read_journal` accepted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import TypeVar

from gameday import __version__
from gameday.core.findings.as_json import render_grafana_annotations, render_json
from gameday.core.findings.markdown import render_markdown
from gameday.core.findings.model import (
    AbortFired,
    AbortInfo,
    AbortRuleInfo,
    ActionItem,
    Appendix,
    BlastRadius,
    Caveat,
    Durations,
    Findings,
    HostRevertTime,
    KillSwitchInfo,
    Measure,
    Note,
    Participant,
    ProbeFindings,
    RevertCheck,
    ScenarioInfo,
)
from gameday.core.findings.snapshot import RuleDef, ScenarioSnapshot, read_snapshot
from gameday.core.findings.steady import fault_window, probe_findings, time_to_recover
from gameday.core.findings.text import (
    count,
    number,
    offset,
    redact_command,
    redact_prose,
    seconds_text,
    utc_iso,
)
from gameday.core.findings.timeline import timeline
from gameday.core.ladder import ladder_sentence, ladder_story
from gameday.core.roles import role_rank
from gameday.core.session import events as ev
from gameday.core.session.journal import JournalRead
from gameday.core.session.samples import Samples, collector_paused, read_for_findings, split_samples
from gameday.core.session.state import FaultState, replay
from gameday.core.shell import render

__all__ = [
    "Findings",
    "build_findings",
    "findings_from_file",
    "render_grafana_annotations",
    "render_json",
    "render_markdown",
]

E = TypeVar("E", bound=ev.Event)


def _all(events: Sequence[ev.Event], kind: type[E]) -> list[E]:
    return [e for e in events if isinstance(e, kind)]


def _first(events: Sequence[ev.Event], kind: type[E]) -> E | None:
    return next((e for e in events if isinstance(e, kind)), None)


def _last(events: Sequence[ev.Event], kind: type[E]) -> E | None:
    return next((e for e in reversed(events) if isinstance(e, kind)), None)


def findings_from_file(path: Path | str) -> Findings:
    """Read the journal at `path` and build its findings (raises InputError like read_journal).

    The probe samples are read straight into columns (see gameday.core.session.samples): a 4-hour
    journal holds ~290 000 of them and a few hundred other events."""
    with collector_paused():  # nothing here makes a cycle; the collector would rescan the heap
        journal, raw, samples = read_for_findings(path)
        return _build(journal, samples, hashlib.sha256(raw).hexdigest(), __version__)


def build_findings(
    journal: JournalRead, journal_sha256: str, *, exporter_version: str = __version__
) -> Findings:
    """The findings of the session recorded in `journal` (never raises on a readable journal)."""
    others, samples = split_samples(journal.events)
    lean = JournalRead(journal.path, others, journal.torn, journal.skipped)
    return _build(lean, samples, journal_sha256, exporter_version)


def _build(
    journal: JournalRead, samples: Samples, journal_sha256: str, exporter_version: str
) -> Findings:
    """`journal` holds every event but the probe samples, which are in `samples`."""
    events = journal.events
    started = _first(events, ev.SessionStarted)
    ended = _last(events, ev.SessionEnded)
    first_ts, last_ts = _edges(events, samples)
    start = started.ts if started else first_ts
    end = ended.ts if ended else last_ts
    snapshot = read_snapshot(started.scenario if started else None)
    window, window_end = fault_window(events, last_ts)
    probes = tuple(probe_findings(events, snapshot.probes, window, samples))
    verdict = _last(events, ev.VerdictReached)
    reverts = _revert_checks(events, journal.path, started)
    base = start or 0.0
    ladder = ladder_story(events, {p.name: (p.min, p.max) for p in probes}, samples)
    # The ladder's sentence is the headline: how far the hypothesis held.
    lead = (ladder_sentence(ladder),) if ladder is not None else ()
    return Findings(
        title=f"GameDay findings: {started.scenario_title}" if started else "GameDay findings",
        started_at=start,
        ended_at=end,
        finished=ended is not None,
        environment=_environment(started),
        mode=started.mode if started else "",
        verdict=verdict.verdict if verdict else "unfinished",
        verdict_reason=verdict.reason if verdict else _no_verdict(journal, ended, last_ts),
        summary=lead + _summary(events, probes, reverts, window, base),
        caveats=_caveats(journal, samples, started, ended, (probes, reverts)),
        participants=_participants(events),
        scenario=_scenario(started, snapshot),
        blast_radius=_blast_radius(events),
        aborts=_aborts(events, snapshot),
        timeline=timeline(events, {p.name: p.unit for p in probes}, samples),
        fault_window=window,
        fault_window_end=window_end,
        probes=probes,
        durations=_durations(events, samples, probes, base),
        reverts=reverts,
        went_well=_notes(events, "went_well"),
        went_wrong=_notes(events, "went_wrong"),
        lucky=_notes(events, "lucky"),
        actions=tuple(
            ActionItem(n.ts, n.actor, redact_prose(n.text), n.owner, n.due)
            for n in _all(events, ev.NoteAdded)
            if n.tag == "action"
        ),
        gameday_name=redact_prose(started.gameday_name) if started else "",
        appendix=Appendix(
            journal_path=journal.path,
            journal_sha256=journal_sha256,
            session_id=started.session_id if started else "",
            session_gameday_version=started.gameday_version if started else "",
            exporter_version=exporter_version,
            events=len(events) + samples.count,
            skipped_lines=journal.skipped,
            torn=journal.torn,
            scenario_file=started.scenario_file if started else "",
            inventory_file=started.inventory_file if started else "",
        ),
        ladder=ladder,
    )


def _edges(events: Sequence[ev.Event], samples: Samples) -> tuple[float | None, float | None]:
    """The times of the journal's first and last lines (samples included); None when empty."""
    ends = [(e.seq, e.ts) for e in (events[0], events[-1])] if events else []
    ends += [pair for pair in (samples.first(), samples.last()) if pair is not None]
    if not ends:
        return None, None
    return min(ends)[1], max(ends)[1]


def _no_verdict(journal: JournalRead, ended: ev.SessionEnded | None, last_ts: float | None) -> str:
    failed = [e for e in journal.events if isinstance(e, ev.PreflightChecked) and not e.ok]
    if failed and not any(isinstance(e, ev.FaultArmed) for e in journal.events):
        first = failed[0]
        detail = f": {redact_prose(first.detail)}" if first.detail else ""
        more = f" (and {count(len(failed) - 1, 'other check')})" if len(failed) > 1 else ""
        return (
            f"stopped before any fault: preflight failed on {first.host}: {first.check}"
            f"{detail}{more}"
        )
    if journal.torn and last_ts is not None:
        return f"the journal ends abruptly at {utc_iso(last_ts)}: the session did not finish"
    late = [
        e for e in journal.events if isinstance(e, ev.FaultReverted) and e.by in _LATE_REVERTERS
    ]
    if late:
        return (
            f"no verdict was reached: the session did not finish (gameday {late[-1].by} ran later)"
        )
    if ended is None:
        return "no verdict was reached: the session did not finish (or is still running)"
    return "the session ended without a verdict"


def _environment(started: ev.SessionStarted | None) -> str:
    if started is None:
        return "unknown (the journal has no session start)"
    if started.environment:
        return started.environment
    if started.inventory_file:
        return f"{PurePath(started.inventory_file).stem} (from the inventory file's name)"
    return "not recorded"


def _caveats(
    journal: JournalRead,
    samples: Samples,
    started: ev.SessionStarted | None,
    ended: ev.SessionEnded | None,
    judged: tuple[Sequence[ProbeFindings], Sequence[RevertCheck]],
) -> tuple[Caveat, ...]:
    probes, reverts = judged
    anything = bool(journal.events) or samples.count > 0
    found: list[Caveat] = []
    if not anything:
        found.append(Caveat("The journal holds no events: there is nothing to report on."))
    ending = _ending_caveat(journal, samples, ended, reverts)
    if ending is not None:
        found.append(ending)
    if anything and started is None:
        found.append(
            Caveat(
                "The journal has no session start: scenario, environment and thresholds are "
                "unknown."
            )
        )
    if started is not None and not read_snapshot(started.scenario).recorded:
        found.append(
            Caveat(
                "The journal has no scenario snapshot: fault parameters, probe queries, "
                "thresholds and abort rules are unknown."
            )
        )
    if anything and not any(p.points for p in probes):
        found.append(
            Caveat("No samples were recorded: the steady state cannot be judged from the journal.")
        )
    if journal.skipped:
        found.append(
            Caveat(
                f"{count(journal.skipped, 'journal line')} of event types this gameday does not "
                "know were left out (written by a newer gameday?)."
            )
        )
    return tuple(found)


_LATE_REVERTERS = ("recover", "sweep")


def _ending_caveat(
    journal: JournalRead,
    samples: Samples,
    ended: ev.SessionEnded | None,
    reverts: Sequence[RevertCheck],
) -> Caveat | None:
    """How the journal ends when the session did not end it, and what is left to do."""
    events = journal.events
    last_ts = _edges(events, samples)[1]
    if last_ts is None or (ended is not None and not journal.torn):
        return None
    recover = render(["gameday", "recover", journal.path])
    still_open = [r for r in reverts if r.todo]
    late = [e for e in events if isinstance(e, ev.FaultReverted) and e.by in _LATE_REVERTERS]
    if journal.torn:
        text = (
            f"The journal ends abruptly at {utc_iso(last_ts)}: its last line was cut off "
            "mid-write, so the session did not finish."
        )
    elif late:
        before = [(e.seq, e.ts) for e in events if e.seq < late[0].seq]
        sample = samples.last_before(late[0].seq)
        before += [sample] if sample is not None else []
        stop = utc_iso(max(before)[1]) if before else utc_iso(late[0].ts)
        text = (
            f"The session did not finish: its own events stop at {stop}; "
            f"gameday {late[-1].by} reverted faults at {utc_iso(late[-1].ts)}."
        )
    else:
        text = (
            f"The journal ends at {utc_iso(last_ts)} without the session's end: the "
            "session did not finish (or is still running)."
        )
    if still_open:
        return Caveat(f"{text} Revert what may still be active:", recover)
    if any(r.status == "verified" for r in reverts):
        return Caveat(f"{text} Every injected fault is confirmed reverted in the journal.")
    return Caveat(f"{text} No fault was left active according to the journal.")


def _participants(events: Sequence[ev.Event]) -> tuple[Participant, ...]:
    roles: dict[str, str] = {}
    notes: dict[str, int] = {}
    for e in events:
        if isinstance(e, ev.ParticipantJoined):
            roles[e.name] = e.role or roles.get(e.name, "")
        elif e.actor != ev.SYSTEM:
            roles.setdefault(e.actor, "")
        if isinstance(e, ev.NoteAdded) and e.actor != ev.SYSTEM:
            notes[e.actor] = notes.get(e.actor, 0) + 1
    people = [Participant(name, role, notes.get(name, 0)) for name, role in roles.items()]
    # Listed by role (owner, coordinator, reporter, observer, then the rest), stable inside one.
    return tuple(sorted(people, key=lambda p: role_rank(p.role)))


def _scenario(started: ev.SessionStarted | None, snapshot: ScenarioSnapshot) -> ScenarioInfo:
    missing: list[str] = []
    if snapshot.faults is None:
        missing.append("the fault kinds and parameters are not in the journal")
    if snapshot.probes is None:
        missing.append("the probes and their thresholds are not in the journal")
    if snapshot.abort_rules is None:
        missing.append("the abort rules are not in the journal")
    if snapshot.schedule is None:
        missing.append("the schedule (warmup, duration, cooldown) is not in the journal")
    return ScenarioInfo(
        id=started.scenario_id if started else "",
        title=started.scenario_title if started else "",
        hypothesis=started.hypothesis if started else "",
        file=started.scenario_file if started else "",
        sha256=started.scenario_sha256 if started else "",
        faults=snapshot.faults or (),
        schedule=snapshot.schedule or (),
        rollback=snapshot.rollback,
        missing=tuple(missing),
    )


def _blast_radius(events: Sequence[ev.Event]) -> BlastRadius:
    plan = _last(events, ev.PlanMade)
    if plan is None:
        return BlastRadius(False, (), (), (), None, ())
    return BlastRadius(
        planned=True,
        targets=tuple(plan.targets),
        spared=tuple(plan.spared.items()),
        waves=tuple(tuple(w) for w in plan.waves),
        seed=plan.seed,
        faults=tuple((host, tuple(ids)) for host, ids in plan.faults.items()),
    )


def _aborts(events: Sequence[ev.Event], snapshot: ScenarioSnapshot) -> AbortInfo:
    fired = [AbortFired(e.ts, e.rule, e.reason) for e in _all(events, ev.AbortTriggered)]
    rules = snapshot.abort_rules
    fired_at: dict[int, float] = {}
    for f in fired:
        index = _matching_rule(f.rule, rules or [])
        if index is not None and index not in fired_at:
            fired_at[index] = f.at
    infos = tuple(AbortRuleInfo(r.text, fired_at.get(i)) for i, r in enumerate(rules or []))
    pulled = _first(events, ev.KillSwitchPulled)
    kill = None
    if pulled is not None:
        done = _first(events, ev.KillSwitchDone)
        kill = KillSwitchInfo(
            at=pulled.ts,
            source=pulled.source,
            actor=pulled.actor,
            reason=redact_prose(pulled.reason),
            latency=done.latency if done else None,
            hosts=tuple(done.hosts.items()) if done else (),
        )
    return AbortInfo(infos, tuple(fired), kill, rules is not None)


def _matching_rule(fired: str, rules: Sequence[RuleDef]) -> int | None:
    """The rule an AbortTriggered names: by the engine's key or our text, else by its probe."""
    name = fired.strip()
    for i, rule in enumerate(rules):
        if name in (rule.key, rule.text):
            return i
    no_data = name.startswith("no_data") or "no data" in name or "without data" in name
    for i, rule in enumerate(rules):
        if rule.key.startswith("no_data") == no_data and (not rule.probe or rule.probe in name):
            return i
    return None


def _durations(
    events: Sequence[ev.Event], samples: Samples, probes: Sequence[ProbeFindings], start: float
) -> Durations:
    injected = _all(events, ev.FaultInjected)
    reverts = tuple(
        HostRevertTime(e.host, e.fault_id, e.duration, e.by, e.verified)
        for e in _all(events, ev.FaultReverted)
    )
    kill: Measure | None = None
    pulled = _first(events, ev.KillSwitchPulled)
    if pulled is not None:
        done = _first(events, ev.KillSwitchDone)
        kill = (
            Measure(
                done.latency,
                f"from the pull ({offset(pulled.ts - start)}) to every host "
                "verified or given up on",
            )
            if done
            else Measure(
                None, f"pulled at {offset(pulled.ts - start)}, but the journal has no outcome"
            )
        )
    return Durations(
        to_inject=_time_to_inject(events, injected, start),
        to_detect=_time_to_detect(events, injected, start),
        to_recover=time_to_recover(events, probes, start, samples),
        reverts=reverts,
        kill_switch=kill,
    )


def _time_to_inject(
    events: Sequence[ev.Event], injected: list[ev.FaultInjected], start: float
) -> Measure:
    if not injected:
        return Measure(None, "no fault was injected")
    phase = next(
        (e for e in events if isinstance(e, ev.PhaseChanged) and e.phase == "inject"), None
    )
    origin, origin_name = (phase.ts, "the inject phase") if phase else (start, "the session start")
    last = injected[-1]
    return Measure(
        last.ts - origin,
        f"from {origin_name} ({offset(origin - start)}) to the last injection "
        f"({offset(last.ts - start)}, {last.host})",
    )


def _time_to_detect(
    events: Sequence[ev.Event], injected: list[ev.FaultInjected], start: float
) -> Measure:
    if not injected:
        return Measure(None, "no fault was injected")
    first = injected[0].ts
    for e in events:
        if e.ts < first:
            continue
        if isinstance(e, ev.ThresholdCrossed) and not e.recovered:
            what = f"first breach: {e.probe} {e.direction} its bound"
        elif isinstance(e, ev.NoteAdded) and e.tag == "impact":
            what = f"impact noticed by {e.actor}"
        else:
            continue
        return Measure(
            e.ts - first,
            f"from the first injection ({offset(first - start)}) to the {what} "
            f"({offset(e.ts - start)})",
        )
    return Measure(None, "nothing was detected: no threshold crossed and no impact noted")


def _revert_checks(
    events: Sequence[ev.Event], journal_path: str, started: ev.SessionStarted | None
) -> tuple[RevertCheck, ...]:
    state = replay(events)
    inventory = started.inventory_file if started and started.inventory_file else "INVENTORY"
    return tuple(_revert_check(f, journal_path, inventory) for f in state.faults.values())


def _revert_check(fault: FaultState, journal_path: str, inventory: str) -> RevertCheck:
    todo: tuple[str, ...] = ()
    if fault.status == "reverted":
        status = "verified"
    elif fault.status == "unconfirmed":
        status = "unconfirmed"
    elif fault.status == "planned":
        status = "never_injected"
    else:
        status = "not_reverted"
    if status in ("unconfirmed", "not_reverted"):
        todo = (
            render(["gameday", "recover", journal_path]),
            render(["gameday", "sweep", "-i", inventory, fault.host]),
        )
    return RevertCheck(
        host=fault.host,
        fault_id=fault.fault_id,
        kind=fault.kind,
        status=status,  # type: ignore[arg-type]
        by=fault.reverted_by,
        at=fault.reverted_at,
        detail=redact_prose(fault.detail),
        deadline=fault.deadline,
        revert_commands=tuple(redact_command(c) for c in fault.revert),
        todo=todo,
    )


def _notes(events: Sequence[ev.Event], tag: str) -> tuple[Note, ...]:
    return tuple(
        Note(n.ts, n.actor, redact_prose(n.text))
        for n in _all(events, ev.NoteAdded)
        if n.tag == tag
    )


def _summary(
    events: Sequence[ev.Event],
    probes: Sequence[ProbeFindings],
    reverts: Sequence[RevertCheck],
    window: tuple[float, float] | None,
    start: float,
) -> tuple[str, ...]:
    return (
        _summary_faults(events, window),
        _summary_steady(probes, start, any(isinstance(e, ev.SessionEnded) for e in events)),
        _summary_outcome(events, reverts, start),
    )


def _summary_faults(events: Sequence[ev.Event], window: tuple[float, float] | None) -> str:
    injected = _all(events, ev.FaultInjected)
    plan = _last(events, ev.PlanMade)
    if not injected:
        planned = sum(len(ids) for ids in plan.faults.values()) if plan else 0
        return f"No fault was injected ({planned} planned)." if plan else "No fault was planned."
    kinds = sorted({e.kind for e in injected})
    hosts = sorted({e.host for e in injected})
    lasted = ""
    if window is not None:
        lasted = f" for {seconds_text(window[1] - window[0])}"
    return (
        f"Injected {', '.join(kinds)} on {count(len(hosts), 'host')} ({', '.join(hosts)}){lasted}."
    )


def _summary_steady(probes: Sequence[ProbeFindings], start: float, finished: bool) -> str:
    if not any(p.points for p in probes):
        return "No samples were recorded, so the steady state cannot be judged."
    blind = [p for p in probes if p.before.no_data + p.during.no_data + p.after.no_data]
    polls = sum(p.before.no_data + p.during.no_data + p.after.no_data for p in blind)
    no_data = (
        f" {count(polls, 'poll')} returned no data ({', '.join(p.name for p in blind)})."
        if blind
        else ""
    )
    breached = [p for p in probes if p.breaches]
    if breached:
        breach, probe = min(((p.breaches[0], p) for p in breached), key=lambda bp: bp[0].at)
        n = sum(len(p.breaches) for p in breached)
        return (
            f"{', '.join(p.name for p in breached)} left the steady state "
            f"({count(n, 'breach', 'breaches')}); the first: {probe.name} at "
            f"{offset(breach.at - start)}, {number(breach.value, probe.unit)} against "
            f"{probe.threshold}.{no_data}"
        )
    failing = [p.name for p in probes if False in p.points.ok]
    if failing:
        return f"Out of bounds without a recorded breach: {', '.join(failing)}.{no_data}"
    samples = sum(p.before.samples + p.during.samples + p.after.samples for p in probes)
    if blind:
        return f"No probe crossed its threshold in {count(samples, 'sample')}, but{no_data}"
    if not finished:
        return (
            f"No probe crossed its threshold up to the end of the journal "
            f"({count(samples, 'sample')}); the session did not finish."
        )
    return f"Steady state held: every probe stayed within its threshold ({samples} samples)."


def _summary_outcome(
    events: Sequence[ev.Event], reverts: Sequence[RevertCheck], start: float
) -> str:
    parts = []
    failed = [e for e in events if isinstance(e, ev.PreflightChecked) and not e.ok]
    if failed and not any(isinstance(e, ev.FaultArmed) for e in events):
        parts.append(
            f"Stopped before any fault: {count(len(failed), 'preflight check')} failed "
            "(see the timeline)."
        )
    abort = _first(events, ev.AbortTriggered)
    if abort is not None:
        parts.append(f"Aborted at {offset(abort.ts - start)} by rule {abort.rule}.")
    pulled = _first(events, ev.KillSwitchPulled)
    if pulled is not None:
        parts.append(f"Kill switch pulled at {offset(pulled.ts - start)} ({pulled.source}).")
    open_ = [r for r in reverts if r.status in ("unconfirmed", "not_reverted")]
    done = [r for r in reverts if r.status == "verified"]
    if open_:
        hosts = ", ".join(sorted({r.host for r in open_}))
        parts.append(
            f"{count(len(open_), 'fault')} may still be active on {hosts} (NOT "
            "confirmed reverted): act now, see Revert verification."
        )
    elif done:
        parts.append(f"Every injected fault was reverted and verified ({len(done)}).")
    if not any(isinstance(e, ev.SessionEnded) for e in events):
        parts.append("The session did not finish.")
    return " ".join(parts) or "Nothing was reverted because nothing was injected."
