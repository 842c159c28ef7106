"""The facts of a session: one frozen dataclass per kind of event.

Events are the journal's lines and the only input of every projection (the console's timeline,
the headless printer, recovery, the findings document). Each has `seq` (position in the
session, from 1), `ts` (UTC epoch seconds) and `actor` ("system" or a participant's name).
Serialised as one JSON object per line with a `type` field; unknown fields are ignored on read
so that older readers survive newer journals.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Literal, TypeAlias

JSON: TypeAlias = "bool | int | float | str | list[JSON] | dict[str, JSON] | None"

Phase = Literal[
    "preflight",
    "baseline",
    "warmup",
    "inject",
    "monitor",
    "revert",
    "rollback",
    "cooldown",
    "after",
    "done",
]
Step = Literal[
    "capability", "arm", "inject", "verify_active", "revert", "verify_reverted", "disarm"
]
Verdict = Literal["held", "deviated", "aborted", "revert_unconfirmed"]
SessionMode = Literal["headless", "console", "demo"]
"""Who runs the session: `gameday run --headless`, the console on real hosts, or the demo's
simulated fleet (whose hosts no command may ever try to reach)."""
NoteTag = Literal["note", "impact", "went_well", "went_wrong", "lucky", "action"]
RevertBy = Literal["console", "kill_switch", "host_timer", "lease", "recover", "sweep"]
"""Who asked for a revert: the console's own revert (end of a wave, a failed fault), the kill
switch, the host's timer or lease watcher, `gameday recover`, `gameday sweep`."""


class RevertOutcome(StrEnum):
    """How one host's revert ended, as every view says it."""

    CLEAN = "clean"
    """Every fault confirmed gone."""
    UNCONFIRMED = "unconfirmed"
    """No answer within the bound (host unreachable): its lease and timer still revert it."""
    FAILED = "failed"
    """The host answered, but at least one fault could not be confirmed gone."""

    @classmethod
    def read(cls, value: object) -> RevertOutcome:
        """From a journal: older journals said `unreachable` for no answer."""
        text = str(value)
        if text == "unreachable":
            return cls.UNCONFIRMED
        try:
            return cls(text)
        except ValueError:
            return cls.UNCONFIRMED

    @classmethod
    def worst(cls, outcomes: list[RevertOutcome]) -> RevertOutcome:
        """FAILED over UNCONFIRMED over CLEAN (an empty list is CLEAN)."""
        for outcome in (cls.FAILED, cls.UNCONFIRMED):
            if outcome in outcomes:
                return outcome
        return cls.CLEAN


SYSTEM = "system"


@dataclass(frozen=True, kw_only=True)
class Event:
    type: ClassVar[str] = "event"
    seq: int = 0
    ts: float = 0.0
    actor: str = SYSTEM


@dataclass(frozen=True, kw_only=True)
class SessionStarted(Event):
    type: ClassVar[str] = "session_started"
    session_id: str
    scenario_id: str
    scenario_title: str
    scenario_file: str
    scenario_sha256: str
    hypothesis: str
    inventory_file: str
    environment: str = ""
    mode: str = "headless"
    """A `SessionMode` as this version writes it (older journals may say `tui`)."""
    gameday_name: str = ""
    """The GameDay this session belongs to, as named in the console's setup step."""
    gameday_version: str = ""
    scenario: Mapping[str, JSON] = field(default_factory=dict)
    """A JSON snapshot of the scenario: faults with parameters, probes, abort rules, schedule."""


@dataclass(frozen=True, kw_only=True)
class ParticipantJoined(Event):
    type: ClassVar[str] = "participant_joined"
    name: str
    role: str = ""


@dataclass(frozen=True, kw_only=True)
class PlanMade(Event):
    type: ClassVar[str] = "plan_made"
    targets: tuple[str, ...]
    spared: Mapping[str, str]
    waves: tuple[tuple[str, ...], ...] = ()
    seed: int = 0
    faults: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Host → fault ids planned on it, in order."""


@dataclass(frozen=True, kw_only=True)
class PhaseChanged(Event):
    type: ClassVar[str] = "phase_changed"
    phase: Phase


@dataclass(frozen=True, kw_only=True)
class PreflightChecked(Event):
    type: ClassVar[str] = "preflight_checked"
    host: str
    """A host name, or "prometheus" / a probe name for checks not tied to a host."""
    check: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class CommandRan(Event):
    type: ClassVar[str] = "command_ran"
    host: str
    fault_id: str
    step: Step
    command: str
    """Already redacted."""
    status: int | None
    """None when the command timed out or the host could not be reached."""
    duration: float
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class FaultArmed(Event):
    type: ClassVar[str] = "fault_armed"
    host: str
    fault_id: str
    kind: str
    deadline: float
    """UTC epoch seconds at which the host reverts the fault by itself."""
    revert: tuple[str, ...] = ()
    """The revert commands, so that `recover` can act from the journal alone."""
    verify_reverted: tuple[str, ...] = ()
    timer: str = ""


@dataclass(frozen=True, kw_only=True)
class FaultInjected(Event):
    type: ClassVar[str] = "fault_injected"
    host: str
    fault_id: str
    kind: str
    summary: str = ""
    verified: bool = True


@dataclass(frozen=True, kw_only=True)
class FaultFailed(Event):
    type: ClassVar[str] = "fault_failed"
    host: str
    fault_id: str
    step: Step
    reason: str
    kind: str = ""
    """The fault's kind (empty in journals written before it was recorded)."""


@dataclass(frozen=True, kw_only=True)
class FaultReverted(Event):
    type: ClassVar[str] = "fault_reverted"
    host: str
    fault_id: str
    kind: str = ""
    """The fault's kind (empty in journals written before it was recorded)."""
    verified: bool
    """False: the revert ran (or not) but its absence could not be confirmed."""
    duration: float = 0.0
    detail: str = ""
    by: RevertBy = "console"


@dataclass(frozen=True, kw_only=True)
class HostLost(Event):
    type: ClassVar[str] = "host_lost"
    host: str
    silent_for: float
    """Seconds without an answer to the host's lease when it was declared lost."""
    reverted_by: float
    """UTC epoch seconds: the host's own lease reverted the session's faults by then (not
    confirmed until someone reaches the host again)."""


@dataclass(frozen=True, kw_only=True)
class ProbeSampled(Event):
    type: ClassVar[str] = "probe_sampled"
    probe: str
    value: float | None
    """None: no data (empty result, NaN, timeout, error)."""
    ok: bool | None
    """Within thresholds; None when there is no value."""
    phase: Phase = "monitor"
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class ThresholdCrossed(Event):
    type: ClassVar[str] = "threshold_crossed"
    probe: str
    value: float
    bound: float
    direction: Literal["above", "below"]
    recovered: bool = False
    """True when the value came back within the threshold."""
    unit: str = ""
    """The probe's unit, so the sentence can say `6.2%` (empty in older journals)."""


@dataclass(frozen=True, kw_only=True)
class AbortTriggered(Event):
    type: ClassVar[str] = "abort_triggered"
    rule: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class KillSwitchPulled(Event):
    type: ClassVar[str] = "kill_switch_pulled"
    source: str
    """keypress | signal:SIGTERM | abort_rule | gameday abort | api."""
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class KillSwitchDone(Event):
    type: ClassVar[str] = "kill_switch_done"
    latency: float
    """Seconds from the pull to the last host verified (or given up on)."""
    hosts: Mapping[str, RevertOutcome] = field(default_factory=dict)
    """Host → outcome (clean | unconfirmed | failed)."""

    def __post_init__(self) -> None:
        typed = {host: RevertOutcome.read(value) for host, value in self.hosts.items()}
        object.__setattr__(self, "hosts", typed)


@dataclass(frozen=True, kw_only=True)
class RollbackRan(Event):
    type: ClassVar[str] = "rollback_ran"
    name: str
    host: str
    ok: bool
    required: bool = True
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class NoteAdded(Event):
    type: ClassVar[str] = "note_added"
    text: str
    tag: NoteTag = "note"
    owner: str = ""
    """action items only."""
    due: str = ""
    """action items only: an ISO date."""


@dataclass(frozen=True, kw_only=True)
class VerdictReached(Event):
    type: ClassVar[str] = "verdict_reached"
    verdict: Verdict
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class SessionEnded(Event):
    type: ClassVar[str] = "session_ended"


# --- the blast-radius ladder (targets.stages) ---------------------------------------------------
StageOutcome = Literal["held", "broke", "aborted", "unconfirmed"]


@dataclass(frozen=True, kw_only=True)
class LadderPlanned(Event):
    """The scenario climbs a ladder: right after PlanMade, each stage's hosts."""

    type: ClassVar[str] = "ladder_planned"
    stages: tuple[tuple[str, ...], ...]
    """Each stage's hosts, cumulative (stage k holds stage k-1's hosts)."""
    sizes: tuple[str, ...] = ()
    """Each stage's size as the scenario wrote it: `1`, `50%`."""


@dataclass(frozen=True, kw_only=True)
class StageStarted(Event):
    type: ClassVar[str] = "stage_started"
    stage: int
    """1-based."""
    of: int
    hosts: tuple[str, ...]
    joining: tuple[str, ...] = ()
    """The hosts this stage adds to the one before."""


@dataclass(frozen=True, kw_only=True)
class StageEnded(Event):
    """A stage's faults are reverted (or could not be confirmed so): did the steady state hold?"""

    type: ClassVar[str] = "stage_ended"
    stage: int
    of: int
    outcome: StageOutcome
    """held: no breach and no poll without data while its faults were on; broke: the
    hypothesis did not hold; aborted: an abort rule, the kill switch or a failed fault stopped
    it; unconfirmed: a revert of the stage could not be confirmed."""
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class LadderDecided(Event):
    """Go or no-go to the next stage, after a stage that held; `actor` is who decided."""

    type: ClassVar[str] = "ladder_decided"
    stage: int
    """The stage that held; `go` starts stage + 1."""
    go: bool
    role: str = ""
    """The decider's role (owner, facilitator), empty for a policy."""
    how: str = ""
    """console | --ladder auto | --ladder stop | no answer (the wait ran out) | console closed."""


@dataclass(frozen=True, kw_only=True)
class FindingsExported(Event):
    type: ClassVar[str] = "findings_exported"
    path: str
    """Absolute path of the findings document written from this journal."""
    format: str = "md"


@dataclass(frozen=True, kw_only=True)
class NotificationFailed(Event):
    type: ClassVar[str] = "notification_failed"
    target: str
    """The target's name (never its URL)."""
    event: str
    """The notification: session_started, abort_fired, lease_lost, kill_switch, …"""
    reason: str
    attempts: int = 0


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        SessionStarted,
        ParticipantJoined,
        PlanMade,
        PhaseChanged,
        PreflightChecked,
        CommandRan,
        FaultArmed,
        FaultInjected,
        FaultFailed,
        FaultReverted,
        HostLost,
        ProbeSampled,
        ThresholdCrossed,
        AbortTriggered,
        KillSwitchPulled,
        KillSwitchDone,
        RollbackRan,
        NoteAdded,
        VerdictReached,
        SessionEnded,
        LadderPlanned,
        StageStarted,
        StageEnded,
        LadderDecided,
        FindingsExported,
        NotificationFailed,
    )
}


def to_json(event: Event) -> dict[str, JSON]:
    """The event as a JSON object, `type` first."""
    body: dict[str, JSON] = {"type": event.type}
    for name, _ in _field_types(type(event)):
        body[name] = _plain(getattr(event, name))
    return body


def from_json(body: Mapping[str, Any]) -> Event:
    """Rebuild an event; raises ValueError for an unknown type or missing fields."""
    cls = EVENT_TYPES.get(str(body.get("type")))
    if cls is None:
        raise ValueError(f"unknown event type {body.get('type')!r}")
    kwargs: dict[str, Any] = {}
    fields = _field_types(cls)
    for name, annotation in fields:
        if name in body:
            value = body[name]
            # only lists and mappings may need tuples back: plain values pass as they are
            kwargs[name] = _typed(value, annotation) if isinstance(value, list | dict) else value
    if len(kwargs) == len(fields) and cls in _PLAIN:
        # every field given and nothing to check after __init__: fill the frozen instance
        # directly (a long journal holds hundreds of thousands of samples)
        event = object.__new__(cls)
        event.__dict__.update(kwargs)
        return event
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ValueError(f"{cls.type}: {exc}") from None


_FIELD_TYPES: dict[type[Event], tuple[tuple[str, str], ...]] = {}
_PLAIN = frozenset(cls for cls in EVENT_TYPES.values() if not hasattr(cls, "__post_init__"))
"""Event types whose __init__ only stores the fields (no __post_init__ to run)."""


def _field_types(cls: type[Event]) -> tuple[tuple[str, str], ...]:
    """(name, annotation) of each field, worked out once per event type (a 4-hour journal
    holds hundreds of thousands of events)."""
    found = _FIELD_TYPES.get(cls)
    if found is None:
        found = _FIELD_TYPES[cls] = tuple((f.name, str(f.type)) for f in dataclasses.fields(cls))
    return found


def with_position(event: Event, seq: int, ts: float) -> Event:
    return dataclasses.replace(event, seq=seq, ts=ts)


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> JSON:
    if type(value) in _SCALARS:
        return value  # type: ignore[no-any-return]  # most fields: no ABC check (slow)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value  # type: ignore[no-any-return]


def _typed(value: Any, annotation: str) -> Any:
    """Lists back to tuples where the field is a tuple (nested for waves and plan faults)."""
    if isinstance(value, list) and "tuple" in annotation:
        return tuple(_typed(v, annotation.removeprefix("tuple[")) for v in value)
    if isinstance(value, dict) and "tuple" in annotation:
        return {k: _typed(v, annotation.split(",", 1)[-1]) for k, v in value.items()}
    return value
