"""A session's state as a fold of its events.

The engine keeps its live state by applying each event right after the journal accepted it,
with this same reducer; so replaying a journal rebuilds the live state exactly, at any prefix,
which is what makes crash recovery and the findings document trustworthy.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from gameday.core import events as ev

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
    samples: dict[str, deque[Sample]] = field(default_factory=dict)
    """The latest SAMPLES_KEPT samples of each probe (the journal keeps them all): a session of
    hours must not grow in memory with every poll. The ladder keeps its own per-stage tally
    (gameday.engine.ladder), so nothing reads old samples from here."""
    breaches: dict[str, int] = field(default_factory=dict)
    aborted: str | None = None
    kill_switch: str | None = None
    verdict: ev.Verdict | None = None
    notes: list[ev.NoteAdded] = field(default_factory=list)
    preflight_failures: list[str] = field(default_factory=list)
    participants: dict[str, str] = field(default_factory=dict)
    """Name → role, in the order they joined (a later line for a name changes its role)."""
    findings_file: str = ""
    """The last findings document exported from this journal."""
    mode: str = ""
    last_seq: int = 0
    last_ts: float | None = None

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
    s.targets, s.spared = e.targets, dict(e.spared)
    for host, fault_ids in e.faults.items():
        for fault_id in fault_ids:
            s._fault(host, fault_id)


def _phase(s: SessionState, e: ev.PhaseChanged) -> None:
    s.phase = e.phase


def _preflight(s: SessionState, e: ev.PreflightChecked) -> None:
    if not e.ok:
        s.preflight_failures.append(f"{e.host}: {e.check}: {e.detail}")


def _armed(s: SessionState, e: ev.FaultArmed) -> None:
    fault = s._fault(e.host, e.fault_id)
    fault.kind, fault.status, fault.deadline = e.kind, "armed", e.deadline
    fault.revert, fault.verify_reverted = e.revert, e.verify_reverted


def _injected(s: SessionState, e: ev.FaultInjected) -> None:
    fault = s._fault(e.host, e.fault_id)
    fault.kind, fault.status, fault.injected_at = e.kind, "injected", e.ts


def _failed(s: SessionState, e: ev.FaultFailed) -> None:
    fault = s._fault(e.host, e.fault_id)
    # A fault that failed before anything was armed left nothing behind.
    fault.status = "failed" if fault.status != "planned" else "planned"
    fault.detail = f"{e.step}: {e.reason}"


def _reverted(s: SessionState, e: ev.FaultReverted) -> None:
    fault = s._fault(e.host, e.fault_id)
    fault.status = "reverted" if e.verified else "unconfirmed"
    fault.reverted_at, fault.reverted_by, fault.detail = e.ts, e.by, e.detail


def _sampled(s: SessionState, e: ev.ProbeSampled) -> None:
    kept = s.samples.get(e.probe)
    if kept is None:
        kept = s.samples[e.probe] = deque(maxlen=SAMPLES_KEPT)
    kept.append(Sample(e.ts, e.value, e.ok, e.phase))


def _crossed(s: SessionState, e: ev.ThresholdCrossed) -> None:
    if not e.recovered:
        s.breaches[e.probe] = s.breaches.get(e.probe, 0) + 1


def _abort(s: SessionState, e: ev.AbortTriggered) -> None:
    s.aborted = s.aborted or f"{e.rule}: {e.reason}"


def _kill(s: SessionState, e: ev.KillSwitchPulled) -> None:
    s.kill_switch = s.kill_switch or e.source


def _note(s: SessionState, e: ev.NoteAdded) -> None:
    s.notes.append(e)


def _verdict(s: SessionState, e: ev.VerdictReached) -> None:
    s.verdict = e.verdict


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
    ev.ProbeSampled: _sampled,
    ev.ThresholdCrossed: _crossed,
    ev.AbortTriggered: _abort,
    ev.KillSwitchPulled: _kill,
    ev.NoteAdded: _note,
    ev.VerdictReached: _verdict,
    ev.SessionEnded: _ended,
    ev.ParticipantJoined: _joined,
    ev.FindingsExported: _exported,
}
