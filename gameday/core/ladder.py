"""The blast-radius ladder's story, told from the journal: how far the hypothesis held.

`ladder_story(events, bounds)` folds a session's events into one `LadderStory` (None when the
session had no ladder): each stage with its hosts, whether it held, the worst value of each
probe while its faults were on, and the go/no-go decision after it. `ladder_sentence(story)`
is the one sentence every view leads with ("The hypothesis held up to stage 2 of 4 (3 hosts);
it broke at stage 3 (5 hosts)."): the findings, the console and the sessions list all call it.
`ladder_lines` describes a planned ladder for the preview and the plan screen. Pure: no IO.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from gameday.core.formats.stages import StageSize
from gameday.core.selection import Selection
from gameday.core.session import events as ev
from gameday.core.session.samples import Samples, split_samples

StageStatus = Literal["held", "broke", "aborted", "unconfirmed", "running", "not_run"]
Stop = Literal["", "broke", "aborted", "unconfirmed", "no_go", "not_started", "unfinished"]
Bounds = Mapping[str, tuple[float | None, float | None]]
"""Probe name → (min, max), to say which value was the worst."""


@dataclass(frozen=True)
class ProbeWorst:
    probe: str
    value: float | None
    """The value farthest toward (or beyond) the probe's bounds; None: no value at all."""
    ok: bool | None
    """Whether `value` was within the bounds; None without a value."""
    samples: int
    no_data: int
    """Polls without a value while the stage's faults were on."""


@dataclass(frozen=True)
class StageRecord:
    stage: int
    size: str
    """As written in the scenario: `1`, `50%`."""
    hosts: tuple[str, ...]
    joining: tuple[str, ...]
    status: StageStatus
    reason: str
    worst: tuple[ProbeWorst, ...]
    decision: str
    """After a stage that held: `go (alice, owner)`, `no-go (--ladder stop)`; else empty."""
    started_at: float | None
    ended_at: float | None


@dataclass(frozen=True)
class LadderStory:
    stages: tuple[StageRecord, ...]
    held_up_to: int
    """k: stages 1..k held (0 when none did)."""
    stop: Stop
    """Why the ladder ended before its top ("" when every stage held)."""
    stopped_by: str
    """no_go: who decided (a name, or the policy); `the kill switch` when it was pulled
    between stages."""

    @property
    def of(self) -> int:
        return len(self.stages)

    def hosts_at(self, stage: int) -> int:
        return len(self.stages[stage - 1].hosts) if 0 < stage <= self.of else 0


def ladder_story(
    events: Sequence[ev.Event], bounds: Bounds | None = None, samples: Samples | None = None
) -> LadderStory | None:
    """The ladder of the session whose events these are; None when it had no ladder.

    `samples`: the journal's samples when `events` leaves them out."""
    if samples is None:
        events, samples = split_samples(events)
    planned = next((e for e in events if isinstance(e, ev.LadderPlanned)), None)
    if planned is None or not planned.stages:  # a ladder without a stage is no ladder
        return None
    numbers = range(1, len(planned.stages) + 1)
    records = [_stage(number, planned, events, samples, bounds or {}) for number in numbers]
    held_up_to = 0
    for record in records:
        if record.status != "held":
            break
        held_up_to = record.stage
    stop, stopped_by = _why_stopped(records, held_up_to, events)
    return LadderStory(tuple(records), held_up_to, stop, stopped_by)


def _stage(
    number: int,
    planned: ev.LadderPlanned,
    events: Sequence[ev.Event],
    samples: Samples,
    bounds: Bounds,
) -> StageRecord:
    hosts = tuple(planned.stages[number - 1])
    before = set(planned.stages[number - 2]) if number > 1 else set()
    joining = tuple(h for h in hosts if h not in before)
    size = planned.sizes[number - 1] if number <= len(planned.sizes) else str(len(hosts))
    started = _of_stage(events, ev.StageStarted, number)
    ended = _of_stage(events, ev.StageEnded, number)
    decided = _of_stage(events, ev.LadderDecided, number)
    if started is None:
        return StageRecord(number, size, hosts, joining, "not_run", "", (), "", None, None)
    if ended is not None:
        last = ended.seq
    else:
        last = max(events[-1].seq if events else 0, (samples.last() or (0, 0.0))[0])
    return StageRecord(
        stage=number,
        size=size,
        hosts=hosts,
        joining=joining,
        status=ended.outcome if ended is not None else "running",
        reason=ended.reason if ended is not None else "",
        worst=_worst(samples, started.seq, last, bounds),
        decision=_decision_text(decided),
        started_at=started.ts,
        ended_at=ended.ts if ended is not None else None,
    )


S = TypeVar("S", ev.StageStarted, ev.StageEnded, ev.LadderDecided)


def _of_stage(events: Sequence[ev.Event], kind: type[S], number: int) -> S | None:
    return next((e for e in events if isinstance(e, kind) and e.stage == number), None)


def _worst(samples: Samples, after: int, last: int, bounds: Bounds) -> tuple[ProbeWorst, ...]:
    """Each probe's worst monitor poll journaled after seq `after` up to `last`, the probes in
    the order they were first polled then."""
    found = []
    for probe, series in samples.by_probe.items():
        start = bisect.bisect_right(series.seq, after)
        stop = bisect.bisect_right(series.seq, last)
        taken = [i for i in range(start, stop) if series.phase[i] == "monitor"]
        if not taken:
            continue
        values = [i for i in taken if series.value[i] is not None]
        low, high = bounds.get(probe, (None, None))
        worst = max(values, key=lambda i: badness(series.value[i] or 0.0, low, high), default=None)
        found.append(
            (
                series.seq[taken[0]],
                ProbeWorst(
                    probe=probe,
                    value=series.value[worst] if worst is not None else None,
                    ok=series.ok[worst] if worst is not None else None,
                    samples=len(values),
                    no_data=len(taken) - len(values),
                ),
            )
        )
    found.sort(key=lambda pair: pair[0])
    return tuple(worst for _, worst in found)


def badness(value: float, low: float | None, high: float | None) -> float:
    """How far toward its bounds a value is (larger is worse): beyond `max` or below `min`
    counts positive. Without bounds the largest value is the worst."""
    scores = []
    if high is not None:
        scores.append((value - high) / (abs(high) or 1.0))
    if low is not None:
        scores.append((low - value) / (abs(low) or 1.0))
    return max(scores) if scores else value


def _decision_text(decided: ev.LadderDecided | None) -> str:
    if decided is None:
        return ""
    word = "go" if decided.go else "no-go"
    who = decided.actor if decided.actor != ev.SYSTEM else decided.how
    if decided.role and decided.actor != ev.SYSTEM:
        who = f"{who}, {decided.role}"
    if decided.how == "no answer":
        who = "no answer in time"
    return f"{word} ({who})"


def _why_stopped(
    records: Sequence[StageRecord], held_up_to: int, events: Sequence[ev.Event]
) -> tuple[Stop, str]:
    if held_up_to == len(records):
        return "", ""
    if held_up_to:
        decided = _of_stage(events, ev.LadderDecided, held_up_to)
        if decided is not None and not decided.go:
            who = decided.actor if decided.actor != ev.SYSTEM else decided.how
            return "no_go", who
    nxt = records[held_up_to]
    if nxt.status in ("broke", "aborted", "unconfirmed"):
        return nxt.status, ""
    if any(isinstance(e, ev.KillSwitchPulled) for e in events):
        return "aborted", "the kill switch"
    if nxt.status == "running" or not any(isinstance(e, ev.SessionEnded) for e in events):
        return "unfinished", ""
    return ("not_started", "") if held_up_to == 0 else ("aborted", "")


def ladder_sentence(story: LadderStory) -> str:
    """The one sentence about the ladder every view leads with."""
    k, n = story.held_up_to, story.of
    held = f"The hypothesis held up to stage {k} of {n} ({_hosts(story.hosts_at(k))})"
    nxt = k + 1
    if story.stop == "":
        return held + "."
    if story.stop == "no_go":
        if story.stopped_by == "no answer":
            return f"{held}; the ladder was stopped there (no answer to the go/no-go in time)."
        if story.stopped_by == "console closed":
            return f"{held}; the ladder was stopped there (the console closed: no-go)."
        return f"{held}; the ladder was stopped there (no-go by {story.stopped_by})."
    if story.stop == "not_started":
        return f"The ladder did not start: no stage of {n} ran."
    if story.stop == "unfinished":
        running = story.stages[k].status == "running"
        where = f"during stage {nxt}" if running else f"after stage {k}"
        return f"{held if k else f'No stage of {n} finished'}; the journal ends {where}."
    event = {
        "broke": "it broke at",
        "aborted": "it was aborted at",
        "unconfirmed": "a revert could not be confirmed at",
    }[story.stop]
    at = f"stage {nxt} ({_hosts(story.hosts_at(nxt))})"
    if story.stages[k].status == "not_run":
        by = f" by {story.stopped_by}" if story.stopped_by else ""
        return f"{held}; the ladder was stopped{by} before stage {nxt}."
    if k == 0:
        word = {
            "broke": "did not hold",
            "aborted": "was not tested to the end",
            "unconfirmed": "was not tested to the end",
        }[story.stop]
        return f"The hypothesis {word} at stage 1 of {n} ({_hosts(story.hosts_at(1))})."
    return f"{held}; {event} {at}."


def ladder_headline(events: Sequence[ev.Event]) -> str | None:
    """The ladder's sentence for a session's events (None without a ladder): what a list of
    sessions shows next to each verdict."""
    story = ladder_story(events)
    return ladder_sentence(story) if story is not None else None


def verdict_reason(held_up_to: int, of: int, broke_at: int, why: str) -> str:
    """The verdict's reason when the ladder broke: `held up to stage 1 of 3; broke at stage 2`."""
    head = f"held up to stage {held_up_to} of {of}; broke at stage {broke_at}"
    return f"{head}: {why}" if why else head


def ladder_lines(selection: Selection, sizes: Sequence[StageSize]) -> list[str]:
    """The planned ladder, one line per stage: size, host count, the hosts that join, waves."""
    lines = []
    for number, hosts in enumerate(selection.stages, start=1):
        size = sizes[number - 1].text if number <= len(sizes) else str(len(hosts))
        waves = len(selection.stage_waves(number))
        in_waves = f" in {waves} waves" if waves > 1 else ""
        joins = ", ".join(selection.joining(number))
        lines.append(
            f"stage {number} ({size}): {_hosts(len(hosts))}{in_waves}; "
            f"{'joining' if number > 1 else 'first'}: {joins}"
        )
    return lines


def _hosts(n: int) -> str:
    return f"{n} host" if n == 1 else f"{n} hosts"
