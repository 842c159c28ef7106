"""A session's state as a fold of its events.

The engine keeps its live state by applying each event right after the journal accepted it,
with this same reducer; so replaying a journal rebuilds the live state exactly, at any prefix,
which is what makes crash recovery and the findings document trustworthy.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload

from gameday.core.session import events as ev
from gameday.core.session.alarms import Alarm, alarm_for

FaultStatus = Literal["planned", "armed", "injected", "failed", "reverted", "unconfirmed"]


@dataclass
class FaultState:
    host: str
    fault_id: str
    kind: str = ""
    status: FaultStatus = "planned"
    deadline: float | None = None
    revert: tuple[str, ...] = ()
    verify_reverted: tuple[str, ...] = ()
    injected_at: float | None = None
    reverted_at: float | None = None
    reverted_by: str = ""
    detail: str = ""
    summary: str = ""
    """What was injected, as the host's driver said it."""

    @property
    def may_be_active(self) -> bool:
        """True while something of this fault may still be on the host."""
        return self.status in ("armed", "injected", "failed", "unconfirmed")


SAMPLES_KEPT = 900
"""Samples of each probe kept in memory: a quarter of an hour at one a second."""


@dataclass(frozen=True, slots=True)
class Sample:
    ts: float
    value: float | None
    ok: bool | None
    phase: ev.Phase
    detail: str = ""
    """Why there was no value (or a note about it), as the source said."""


BEFORE_FAULTS: tuple[ev.Phase, ...] = ("preflight", "baseline", "warmup")


class SampleWindow(Sequence[Sample]):
    """A probe's samples as the console shows them, oldest first: the latest SAMPLES_KEPT,
    preceded by the samples taken before the faults (the baseline a gauge compares with) that
    fell out of that window, up to SAMPLES_KEPT of them. Memory stays flat over hours and the
    baseline stays what it was."""

    __slots__ = ("_early", "_recent")

    def __init__(self) -> None:
        self._early: list[Sample] = []
        self._recent: deque[Sample] = deque(maxlen=SAMPLES_KEPT)

    def append(self, sample: Sample) -> None:
        recent = self._recent
        if len(recent) == recent.maxlen:
            dropped = recent[0]
            if dropped.phase in BEFORE_FAULTS and len(self._early) < SAMPLES_KEPT:
                self._early.append(dropped)
        recent.append(sample)

    def __len__(self) -> int:
        return len(self._early) + len(self._recent)

    @overload
    def __getitem__(self, index: int) -> Sample: ...
    @overload
    def __getitem__(self, index: slice) -> list[Sample]: ...
    def __getitem__(self, index: int | slice) -> Sample | list[Sample]:
        if isinstance(index, slice):
            return list(self)[index]
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError(index)
        early = len(self._early)
        return self._early[position] if position < early else self._recent[position - early]

    def __iter__(self) -> Iterator[Sample]:
        return itertools.chain(self._early, self._recent)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SampleWindow):
            return NotImplemented
        return self._early == other._early and list(self._recent) == list(other._recent)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SampleWindow({list(self)!r})"


@dataclass
class SessionState:
    session_id: str = ""
    scenario_id: str = ""
    title: str = ""
    started_at: float | None = None
    ended_at: float | None = None
    phase: ev.Phase | None = None
    targets: tuple[str, ...] = ()
    spared: dict[str, str] = field(default_factory=dict)
    faults: dict[tuple[str, str], FaultState] = field(default_factory=dict)
    samples: dict[str, SampleWindow] = field(default_factory=dict)
    """Each probe's recent samples and its baseline (see SampleWindow; the journal keeps them
    all): a session of hours must not grow in memory with every poll. The ladder keeps its own
    per-stage tally (gameday.engine.ladder)."""
    breaches: dict[str, int] = field(default_factory=dict)
    aborted: str | None = None
    lost: dict[str, float] = field(default_factory=dict)
    """Hosts the console lost (no answer to their lease) → when their lease reverted them."""
    kill_switch: str | None = None
    verdict: ev.Verdict | None = None
    notes: list[ev.NoteAdded] = field(default_factory=list)
    preflight_failures: list[str] = field(default_factory=list)
    preflight: dict[str, str] = field(default_factory=dict)
    """Host → "" when every check passed so far, else the first failed check and why."""
    participants: dict[str, str] = field(default_factory=dict)
    """Name → role, in the order they joined (a later line for a name changes its role)."""
    findings_file: str = ""
    """The last findings document exported from this journal."""
    mode: str = ""
    last_seq: int = 0
    last_ts: float | None = None
    waves: int = 0
    """How many waves the plan has."""
    wave: int = 0
    """The wave being injected, watched or reverted (1-based; 0 before the first)."""
    stage: int = 0
    """The ladder's current stage (1-based; 0 before the first, or without a ladder)."""
    stages: int = 0
    """How many stages the ladder has (0 without a ladder)."""
    phase_started: float | None = None
    """When the current phase began (what the time left counts from)."""
    verdict_reason: str = ""
    kill_outcomes: dict[str, str] | None = None
    """Host → clean | unconfirmed | unreachable once the kill switch finished."""
    alarms: dict[str, Alarm] = field(default_factory=dict)
    """Every alarm raised, by `Alarm.key` (a later one of the same key replaces it)."""

    @property
    def stopping(self) -> bool:
        """True once the session will inject nothing more (abort, kill switch, verdict)."""
        return bool(self.aborted or self.kill_switch or self.verdict or self.ended_at)

    def latest(self, probe: str) -> Sample | None:
        series = self.samples.get(probe)
        return series[-1] if series else None

    @property
    def faults_touched(self) -> bool:
        """True once any fault was armed on any host (so there is something to roll back)."""
        return any(f.status != "planned" for f in self.faults.values())

    def open_faults(self) -> list[FaultState]:
        """Faults not verified reverted: what recover and the kill switch must still handle."""
        return [f for f in self.faults.values() if f.may_be_active]

    def apply(self, event: ev.Event) -> None:
        self.last_seq = event.seq
        self.last_ts = event.ts
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)
        alarm = alarm_for(event, self._deadline_of(event))
        if alarm is not None and not self._said_already(alarm):
            self.alarms[alarm.key] = alarm

    def _said_already(self, alarm: Alarm) -> bool:
        """The abort for a lost host says what its HOST LOST banner said: one banner is enough."""
        return alarm.kind == "lease_lost" and not alarm.subject and bool(self.lost)

    def _deadline_of(self, event: ev.Event) -> float | None:
        if not isinstance(event, ev.FaultReverted):
            return None
        fault = self.faults.get((event.host, event.fault_id))
        return fault.deadline if fault is not None else None

    def _fault(self, host: str, fault_id: str) -> FaultState:
        key = (host, fault_id)
        if key not in self.faults:
            self.faults[key] = FaultState(host, fault_id)
        return self.faults[key]


def replay(events: Iterable[ev.Event]) -> SessionState:
    state = SessionState()
    for event in events:
        state.apply(event)
    return state


def _started(s: SessionState, e: ev.SessionStarted) -> None:
    s.session_id, s.scenario_id, s.title, s.started_at = (
        e.session_id,
        e.scenario_id,
        e.scenario_title,
        e.ts,
    )
    s.mode = e.mode


def _joined(s: SessionState, e: ev.ParticipantJoined) -> None:
    s.participants[e.name] = e.role


def _exported(s: SessionState, e: ev.FindingsExported) -> None:
    s.findings_file = e.path


def _plan(s: SessionState, e: ev.PlanMade) -> None:
    s.targets, s.spared, s.waves = e.targets, dict(e.spared), len(e.waves)
    for host, fault_ids in e.faults.items():
        for fault_id in fault_ids:
            s._fault(host, fault_id)


def _phase(s: SessionState, e: ev.PhaseChanged) -> None:
    s.phase, s.phase_started = e.phase, e.ts
    if e.phase == "inject":
        s.wave += 1


def _preflight(s: SessionState, e: ev.PreflightChecked) -> None:
    if not e.ok:
        s.preflight_failures.append(f"{e.host}: {e.check}: {e.detail}")
        if not s.preflight.get(e.host):
            s.preflight[e.host] = f"{e.check}: {e.detail}"
    else:
        s.preflight.setdefault(e.host, "")


def _armed(s: SessionState, e: ev.FaultArmed) -> None:
    fault = s._fault(e.host, e.fault_id)
    fault.kind, fault.status, fault.deadline = e.kind, "armed", e.deadline
    fault.revert, fault.verify_reverted = e.revert, e.verify_reverted


def _injected(s: SessionState, e: ev.FaultInjected) -> None:
    fault = s._fault(e.host, e.fault_id)
    fault.kind, fault.status, fault.injected_at = e.kind, "injected", e.ts
    fault.summary = e.summary


def _failed(s: SessionState, e: ev.FaultFailed) -> None:
    fault = s._fault(e.host, e.fault_id)
    # A fault that failed before anything was armed left nothing behind.
    fault.status = "failed" if fault.status != "planned" else "planned"
    fault.kind = fault.kind or e.kind
    fault.detail = f"{e.step}: {e.reason}"


def _reverted(s: SessionState, e: ev.FaultReverted) -> None:
    fault = s._fault(e.host, e.fault_id)
    fault.status = "reverted" if e.verified else "unconfirmed"
    fault.kind = fault.kind or e.kind
    fault.reverted_at, fault.reverted_by, fault.detail = e.ts, e.by, e.detail


def _sampled(s: SessionState, e: ev.ProbeSampled) -> None:
    kept = s.samples.get(e.probe)
    if kept is None:
        kept = s.samples[e.probe] = SampleWindow()
    kept.append(Sample(e.ts, e.value, e.ok, e.phase, e.detail))


def _crossed(s: SessionState, e: ev.ThresholdCrossed) -> None:
    if not e.recovered:
        s.breaches[e.probe] = s.breaches.get(e.probe, 0) + 1


def _abort(s: SessionState, e: ev.AbortTriggered) -> None:
    s.aborted = s.aborted or f"{e.rule} ({e.reason})"


def _kill(s: SessionState, e: ev.KillSwitchPulled) -> None:
    s.kill_switch = s.kill_switch or e.source


def _stage(s: SessionState, e: ev.StageStarted) -> None:
    s.stage, s.stages = e.stage, e.of


def _kill_done(s: SessionState, e: ev.KillSwitchDone) -> None:
    s.kill_outcomes = dict(e.hosts)


def _note(s: SessionState, e: ev.NoteAdded) -> None:
    s.notes.append(e)


def _verdict(s: SessionState, e: ev.VerdictReached) -> None:
    s.verdict, s.verdict_reason = e.verdict, e.reason


def _lost(s: SessionState, e: ev.HostLost) -> None:
    s.lost[e.host] = e.reverted_by


def _ended(s: SessionState, e: ev.SessionEnded) -> None:
    s.ended_at = e.ts


_HANDLERS: dict[type[ev.Event], Callable[[SessionState, Any], None]] = {
    ev.SessionStarted: _started,
    ev.PlanMade: _plan,
    ev.PhaseChanged: _phase,
    ev.PreflightChecked: _preflight,
    ev.FaultArmed: _armed,
    ev.FaultInjected: _injected,
    ev.FaultFailed: _failed,
    ev.FaultReverted: _reverted,
    ev.HostLost: _lost,
    ev.ProbeSampled: _sampled,
    ev.ThresholdCrossed: _crossed,
    ev.AbortTriggered: _abort,
    ev.KillSwitchPulled: _kill,
    ev.KillSwitchDone: _kill_done,
    ev.StageStarted: _stage,
    ev.NoteAdded: _note,
    ev.VerdictReached: _verdict,
    ev.SessionEnded: _ended,
    ev.ParticipantJoined: _joined,
    ev.FindingsExported: _exported,
}
