"""What a view of a session shows beyond the state fold: the session's shape (title, waves,
phase lengths), its probes and the hosts' rows — from the console's plan, or read back from a
journal's first lines by a view that has nothing else (`gameday watch`, the history).

`gameday watch` has no scenario file and no inventory, only the journal: `session_started`
carries a snapshot of the scenario (probes with their bounds, faults in order, schedule) and
`plan_made` the targets, waves and fault ids. Everything here is tolerant: a snapshot written by
another gameday version gives fewer details, never an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gameday.core.findings.snapshot import read_snapshot
from gameday.core.formats.probes import PROBE_KINDS, Probe, ProbeKind
from gameday.core.session import events as ev

if TYPE_CHECKING:
    from gameday.core.plan import Plan

_FAULT_INDEX = re.compile(r"f(\d+)-")
_SCHEDULE_KEYS: dict[str, str] = {"warmup": "warmup", "monitor": "duration", "cooldown": "cooldown"}
TIMED_PHASES: tuple[ev.Phase, ...] = ("warmup", "monitor", "cooldown")


@dataclass(frozen=True)
class SessionFacts:
    """What a status line needs to know of the session beyond its state."""

    title: str = ""
    waves: int = 0
    stages: int = 0
    """Stages of a blast-radius ladder (0: no ladder)."""
    lengths: Mapping[str, float] = field(default_factory=dict)
    """Phase → seconds by the schedule (warmup, monitor, cooldown)."""

    def phase_length(self, phase: ev.Phase | None) -> float | None:
        return self.lengths.get(phase or "")


def facts_of_plan(plan: Plan) -> SessionFacts:
    schedule = plan.scenario.schedule
    lengths = {"warmup": schedule.warmup, "monitor": schedule.duration}
    lengths["cooldown"] = schedule.cooldown
    waves, stages = len(plan.selection.waves), len(plan.selection.stages)
    return SessionFacts(plan.scenario.title, waves, stages, lengths)


def facts_of_journal(
    started: ev.SessionStarted | None,
    plan: ev.PlanMade | None = None,
    ladder: ev.LadderPlanned | None = None,
) -> SessionFacts:
    """The facts a journal's first lines give (fewer when a line is missing)."""
    lengths: dict[str, float] = {}
    for phase in TIMED_PHASES:
        length = phase_length(started, phase)
        if length is not None:
            lengths[phase] = length
    title = started.scenario_title if started else ""
    waves, stages = len(plan.waves) if plan else 0, len(ladder.stages) if ladder else 0
    return SessionFacts(title, waves, stages, lengths)


@dataclass(frozen=True)
class HostRow:
    """One row of the hosts table: a fault planned on a host."""

    host: str
    wave: int
    """1-based."""
    kind: str
    fault_id: str
    stage: int = 0
    """1-based stage of a ladder at which the host joins; 0 without a ladder."""


def probes_of(started: ev.SessionStarted) -> tuple[Probe, ...]:
    """The session's probes with their bounds and units (what a gauge shows)."""
    found = []
    for definition in read_snapshot(started.scenario).probes or ():
        kind = definition.kind.split(",")[0]
        found.append(
            Probe(
                name=definition.name,
                kind=_probe_kind(kind),
                min=definition.min,
                max=definition.max,
                unit=definition.unit,
            )
        )
    return tuple(found)


def _probe_kind(kind: str) -> ProbeKind:
    for known in PROBE_KINDS:
        if known == kind:
            return known
    return "prometheus"  # not shown by a gauge; only a valid Probe needs one


def host_rows(
    started: ev.SessionStarted | None,
    plan: ev.PlanMade,
    ladder: ev.LadderPlanned | None = None,
) -> tuple[HostRow, ...]:
    """One row per (host, fault) of the plan, in wave (or ladder stage) order; kinds from the
    scenario snapshot."""
    waves = {host: number for number, wave in enumerate(plan.waves, start=1) for host in wave}
    stages: dict[str, int] = {}
    for number, hosts in enumerate(ladder.stages if ladder else (), start=1):
        for host in hosts:
            stages.setdefault(host, number)  # stages are cumulative: the first one it is in
    kinds = _fault_kinds(started.scenario if started else {})
    rows = []
    for host in plan.targets:
        for fault_id in plan.faults.get(host, ()):
            kind = _kind_of(fault_id, kinds)
            rows.append(HostRow(host, waves.get(host, 1), kind, fault_id, stages.get(host, 0)))
    return tuple(sorted(rows, key=lambda row: (row.stage, row.wave)))


def _fault_kinds(snapshot: Mapping[str, Any]) -> list[str]:
    faults = snapshot.get("faults")
    if not isinstance(faults, list):
        return []
    return [str(f.get("kind", "")) if isinstance(f, Mapping) else "" for f in faults]


def _kind_of(fault_id: str, kinds: list[str]) -> str:
    """Fault ids are `f<index in the scenario>-<digest>` (see `core.plan.fault_id`)."""
    match = _FAULT_INDEX.match(fault_id)
    if match is None or int(match.group(1)) >= len(kinds):
        return ""
    return kinds[int(match.group(1))]


def phase_length(started: ev.SessionStarted | None, phase: ev.Phase | None) -> float | None:
    """Seconds the phase lasts by the schedule (warmup, monitor, cooldown), else None."""
    if started is None or phase not in _SCHEDULE_KEYS:
        return None
    schedule = started.scenario.get("schedule")
    value = schedule.get(_SCHEDULE_KEYS[phase]) if isinstance(schedule, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
