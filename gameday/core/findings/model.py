"""The findings document as frozen data: what `build_findings` derives from a journal.

Times are UTC epoch seconds (`ts`, `at`), as in the journal; renderers turn them into ISO times
and `T+mm:ss` offsets from `Findings.started_at`. Text fields hold plain text with secrets
already masked; escaping is the renderers' job.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple, overload

from gameday.core.findings.snapshot import FaultParams, RollbackInfo
from gameday.core.ladder import LadderStory

Window = Literal["before", "during", "after"]
RevertStatus = Literal["verified", "unconfirmed", "not_reverted", "never_injected"]


@dataclass(frozen=True)
class Caveat:
    """Something missing or wrong with the journal, said plainly, and what to run about it."""

    text: str
    command: str = ""


@dataclass(frozen=True)
class Participant:
    name: str
    role: str
    """Empty when the person only wrote notes and never joined with a role."""
    notes: int


@dataclass(frozen=True)
class ScenarioInfo:
    id: str
    title: str
    hypothesis: str
    file: str
    sha256: str
    faults: tuple[FaultParams, ...]
    schedule: tuple[tuple[str, str], ...]
    """warmup / duration / cooldown / interval as written in the snapshot."""
    rollback: tuple[RollbackInfo, ...]
    missing: tuple[str, ...]
    """Plain sentences: what the journal's scenario snapshot does not say."""


@dataclass(frozen=True)
class BlastRadius:
    planned: bool
    targets: tuple[str, ...]
    spared: tuple[tuple[str, str], ...]
    """(host, reason)."""
    waves: tuple[tuple[str, ...], ...]
    seed: int | None
    faults: tuple[tuple[str, tuple[str, ...]], ...]
    """(host, fault ids planned on it)."""


@dataclass(frozen=True)
class AbortRuleInfo:
    text: str
    fired_at: float | None


@dataclass(frozen=True)
class AbortFired:
    at: float
    rule: str
    reason: str


@dataclass(frozen=True)
class KillSwitchInfo:
    at: float
    source: str
    actor: str
    reason: str
    latency: float | None
    """None when the journal has no KillSwitchDone (the session died during the revert)."""
    hosts: tuple[tuple[str, str], ...]
    """(host, outcome: clean | unconfirmed | unreachable)."""


@dataclass(frozen=True)
class AbortInfo:
    rules: tuple[AbortRuleInfo, ...]
    fired: tuple[AbortFired, ...]
    kill_switch: KillSwitchInfo | None
    rules_known: bool
    """False when the scenario snapshot has no `abort_when` at all."""


@dataclass(frozen=True)
class TimelineEntry:
    at: float
    actor: str
    kind: str
    """The event type (`fault_injected`, `note_added`…) or `preflight` for a folded run."""
    text: str
    command: str = ""
    """A command line shown next to the text (already redacted)."""
    tag: str = ""
    """For notes: note | impact | went_well | went_wrong | lucky | action."""
    important: bool = False
    """A breach, an abort, the kill switch, a failure, an impact / went-wrong / action note."""


@dataclass(frozen=True)
class Stats:
    samples: int
    """Polls that returned a value."""
    no_data: int
    """Polls without a value."""
    min: float | None
    mean: float | None
    max: float | None
    p95: float | None


class Point(NamedTuple):
    """One poll of a probe."""

    at: float
    value: float | None
    ok: bool | None
    phase: str
    window: Window


class Points(Sequence[Point]):
    """A probe's polls, kept as columns (a 4-hour session has ~14 400 per probe; building an
    object for each costs more than the rest of the export); reads as a sequence of `Point`."""

    __slots__ = ("at", "ok", "phase", "value", "window")

    def __init__(
        self,
        at: Sequence[float] = (),
        value: Sequence[float | None] = (),
        ok: Sequence[bool | None] = (),
        phase: Sequence[str] = (),
        window: Sequence[Window] = (),
    ) -> None:
        self.at, self.value, self.ok, self.phase, self.window = at, value, ok, phase, window

    def __len__(self) -> int:
        return len(self.at)

    @overload
    def __getitem__(self, index: int) -> Point: ...
    @overload
    def __getitem__(self, index: slice) -> Points: ...
    def __getitem__(self, index: int | slice) -> Point | Points:
        at, value, ok, phase, window = self._columns()
        if isinstance(index, slice):
            return Points(at[index], value[index], ok[index], phase[index], window[index])
        return Point(at[index], value[index], ok[index], phase[index], window[index])

    def __iter__(self) -> Iterator[Point]:
        return map(Point, *self._columns())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(map(operator.eq, self, other))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Points({list(self)!r})"

    def _columns(
        self,
    ) -> tuple[
        Sequence[float],
        Sequence[float | None],
        Sequence[bool | None],
        Sequence[str],
        Sequence[Window],
    ]:
        return self.at, self.value, self.ok, self.phase, self.window


@dataclass(frozen=True)
class Breach:
    at: float
    value: float
    bound: float
    direction: str
    back_at: float | None
    """When the probe came back within the bound; None if it did not in the journal."""


@dataclass(frozen=True)
class ProbeFindings:
    name: str
    kind: str
    query: str
    unit: str
    min: float | None
    max: float | None
    threshold: str
    """`≤ 1%`, `≥ 99%`, `between 10 and 20 ms`, or a sentence saying it is unknown."""
    before: Stats
    during: Stats
    after: Stats
    breaches: tuple[Breach, ...]
    points: Points
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Measure:
    seconds: float | None
    """None: could not be measured; `text` says why."""
    text: str
    """How it was measured (from what to what) or why it is missing."""


@dataclass(frozen=True)
class HostRevertTime:
    host: str
    fault_id: str
    seconds: float
    by: str
    verified: bool


@dataclass(frozen=True)
class Durations:
    to_inject: Measure
    to_detect: Measure
    to_recover: Measure
    reverts: tuple[HostRevertTime, ...]
    kill_switch: Measure | None
    """None when the kill switch was not pulled."""


@dataclass(frozen=True)
class RevertCheck:
    host: str
    fault_id: str
    kind: str
    status: RevertStatus
    by: str
    at: float | None
    detail: str
    deadline: float | None
    """When the host's own timer reverts the fault (from FaultArmed)."""
    revert_commands: tuple[str, ...]
    todo: tuple[str, ...]
    """Commands for a person to run now; empty when nothing is left to do."""


@dataclass(frozen=True)
class Note:
    at: float
    actor: str
    text: str


@dataclass(frozen=True)
class ActionItem:
    at: float
    actor: str
    text: str
    owner: str
    due: str


@dataclass(frozen=True)
class Appendix:
    journal_path: str
    journal_sha256: str
    session_id: str
    session_gameday_version: str
    exporter_version: str
    events: int
    skipped_lines: int
    torn: bool
    scenario_file: str
    inventory_file: str


@dataclass(frozen=True)
class Findings:
    title: str
    started_at: float | None
    """None only for an empty journal."""
    ended_at: float | None
    """The SessionEnded time, else the last event's time."""
    finished: bool
    """A SessionEnded event is in the journal."""
    environment: str
    mode: str
    verdict: str
    """held | deviated | aborted | revert_unconfirmed | unfinished."""
    verdict_reason: str
    summary: tuple[str, ...]
    caveats: tuple[Caveat, ...]
    participants: tuple[Participant, ...]
    scenario: ScenarioInfo
    blast_radius: BlastRadius
    aborts: AbortInfo
    timeline: tuple[TimelineEntry, ...]
    fault_window: tuple[float, float] | None
    fault_window_end: str
    """Why the window ends where it does: `last revert` or `end of the journal`."""
    probes: tuple[ProbeFindings, ...]
    durations: Durations
    reverts: tuple[RevertCheck, ...]
    went_well: tuple[Note, ...]
    went_wrong: tuple[Note, ...]
    lucky: tuple[Note, ...]
    actions: tuple[ActionItem, ...]
    appendix: Appendix
    ladder: LadderStory | None = None
    """The blast-radius ladder, when the scenario had `targets.stages`."""
    gameday_name: str = ""
    """The GameDay this session belongs to (the console's setup step); empty when unnamed."""

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at
