"""Steady state in the findings: the fault window, per-probe statistics, breaches, recovery."""

from __future__ import annotations

import bisect
import itertools
import math
import operator
from collections.abc import Sequence
from typing import cast

from gameday.core.findings.model import (
    Breach,
    Measure,
    Point,
    Points,
    ProbeFindings,
    Stats,
    Window,
)
from gameday.core.findings.snapshot import ProbeDef, threshold_text
from gameday.core.findings.text import number, offset
from gameday.core.session import events as ev
from gameday.core.session.samples import Samples, Series, split_samples

_BEFORE_PHASES = ("preflight", "baseline", "warmup")
_DURING_PHASES = ("inject", "monitor")
_BY_PHASE: dict[str, Window] = {
    **dict.fromkeys(_BEFORE_PHASES, "before"),
    **dict.fromkeys(_DURING_PHASES, "during"),
}


def fault_window(
    events: Sequence[ev.Event], last_ts: float | None = None
) -> tuple[tuple[float, float] | None, str]:
    """First injection → last revert; to the journal's end while any fault may still be active.

    `last_ts`: the time of the journal's last sample when `events` leaves the samples out.
    Returns the window (or None when nothing was injected) and why it ends where it does.
    """
    injected = [e for e in events if isinstance(e, ev.FaultInjected)]
    if not injected:
        return None, ""
    start = injected[0].ts
    reverted = {(e.host, e.fault_id): e.ts for e in events if isinstance(e, ev.FaultReverted)}
    open_faults = {(e.host, e.fault_id) for e in injected} - set(reverted)
    if open_faults or not reverted:
        end = events[-1].ts if last_ts is None else last_ts
        return (start, max(start, end)), "end of the journal"
    return (start, max(start, *reverted.values())), "last revert"


def classify(ts: float, phase: str, window: tuple[float, float] | None) -> Window:
    if window is None:
        if phase in _BEFORE_PHASES:
            return "before"
        return "during" if phase in _DURING_PHASES else "after"
    if ts < window[0]:
        return "before"
    return "during" if ts <= window[1] else "after"


def stats(points: Sequence[Point]) -> Stats:
    return _stats([p.value for p in points])


def _stats(polled: Sequence[float | None]) -> Stats:
    values: list[float]
    if None not in polled and all(map(math.isfinite, polled)):  # type: ignore[arg-type]
        values = sorted(cast("Sequence[float]", polled))  # every poll had a value: no filter
    else:
        values = sorted(v for v in polled if v is not None and math.isfinite(v))
    no_data = len(polled) - len(values)
    if not values:
        return Stats(0, no_data, None, None, None, None)
    rank = max(1, math.ceil(0.95 * len(values)))  # nearest-rank percentile
    try:
        mean = math.fsum(values) / len(values)
    except OverflowError:  # values near the float maximum: scale each term first
        mean = math.fsum(v / len(values) for v in values)
    return Stats(len(values), no_data, values[0], mean, values[-1], values[rank - 1])


def probe_findings(
    events: Sequence[ev.Event],
    defs: Sequence[ProbeDef] | None,
    window: tuple[float, float] | None,
    samples: Samples | None = None,
) -> list[ProbeFindings]:
    """One entry per probe: the snapshot's probes in order, then any other probe sampled.

    `samples`: the journal's samples when `events` leaves them out (else they are taken from
    `events`)."""
    if samples is None:
        events, samples = split_samples(events)
    known = {d.name: d for d in defs or []}
    names = [d.name for d in defs or []]
    crossings: dict[str, list[ev.ThresholdCrossed]] = {}
    first_seen: dict[str, int] = {}
    for e in events:
        if isinstance(e, ev.ThresholdCrossed):
            crossings.setdefault(e.probe, []).append(e)
            first_seen.setdefault(e.probe, e.seq)
    for name, series in samples.by_probe.items():
        first = series.seq[0] if series.seq else 0
        first_seen[name] = min(first, first_seen.get(name, first))
    # probes not in the snapshot: in the order the journal first mentions them
    names += sorted((n for n in first_seen if n not in known), key=first_seen.__getitem__)
    return [
        _one_probe(
            name,
            known.get(name),
            samples.by_probe.get(name) or Series(),
            crossings=crossings.get(name, []),
            window=window,
            snapshot_has_probes=defs is not None,
        )
        for name in names
    ]


def _windows(series: Series, window: tuple[float, float] | None) -> list[Window]:
    """Each sample's window: by its time when faults were injected, else by its phase."""
    n = len(series)
    if window is None:
        return [_BY_PHASE.get(phase, "after") for phase in series.phase]
    ts = series.ts
    if all(map(operator.le, ts, itertools.islice(ts, 1, None))):  # in time order: three runs
        before = bisect.bisect_left(ts, window[0])
        during = bisect.bisect_right(ts, window[1])
        runs: list[Window] = ["before"] * before
        return runs + ["during"] * (during - before) + ["after"] * (n - during)
    return [classify(t, "", window) for t in ts]


def _one_probe(
    name: str,
    definition: ProbeDef | None,
    series: Series,
    *,
    crossings: Sequence[ev.ThresholdCrossed],
    window: tuple[float, float] | None,
    snapshot_has_probes: bool,
) -> ProbeFindings:
    windows = _windows(series, window)
    points = Points(series.ts, series.value, series.ok, series.phase, windows)
    breaches = _breaches(name, crossings)
    missing = []
    if definition is None:
        missing.append(
            "this probe is not in the journal's scenario snapshot: its query and threshold "
            "are unknown"
            if snapshot_has_probes
            else "the journal's scenario snapshot lists no probes: query and threshold unknown"
        )
        definition = ProbeDef(name, "", "", "", None, None)
    if not points:
        missing.append("no samples were recorded for this probe")
    threshold = threshold_text(definition.min, definition.max, definition.unit)
    if not threshold:
        bounds = sorted({(b.direction, b.bound) for b in breaches})
        threshold = (
            ", ".join(
                f"{'≤' if d == 'above' else '≥'} {number(b)} (from the breaches)" for d, b in bounds
            )
            or "no threshold recorded"
        )
    return ProbeFindings(
        name=name,
        kind=definition.kind,
        query=definition.query,
        unit=definition.unit,
        min=definition.min,
        max=definition.max,
        threshold=threshold,
        before=_stats(_in(series.value, windows, "before")),
        during=_stats(_in(series.value, windows, "during")),
        after=_stats(_in(series.value, windows, "after")),
        breaches=breaches,
        points=points,
        missing=tuple(missing),
    )


def _in(
    values: Sequence[float | None], windows: list[Window], wanted: Window
) -> Sequence[float | None]:
    """The values whose window is `wanted` (a slice when those form one run, as they do when
    the journal's times only move forward)."""
    count = windows.count(wanted)
    if not count:
        return []
    start = windows.index(wanted)
    if windows[start : start + count].count(wanted) == count:
        return values[start : start + count]
    return list(itertools.compress(values, [w == wanted for w in windows]))


def _breaches(name: str, events: Sequence[ev.Event]) -> tuple[Breach, ...]:
    found: list[Breach] = []
    for e in events:
        if not isinstance(e, ev.ThresholdCrossed) or e.probe != name:
            continue
        if not e.recovered:
            found.append(Breach(e.ts, e.value, e.bound, e.direction, None))
            continue
        for i in range(len(found) - 1, -1, -1):
            if found[i].back_at is None:
                b = found[i]
                found[i] = Breach(b.at, b.value, b.bound, b.direction, e.ts)
                break
    return tuple(found)


def time_to_recover(
    events: Sequence[ev.Event],
    probes: Sequence[ProbeFindings],
    start: float,
    samples: Samples | None = None,
) -> Measure:
    """From the last revert to the first poll where every sampled probe is within its bounds."""
    if samples is None:
        events, samples = split_samples(events)
    reverts = [e.ts for e in events if isinstance(e, ev.FaultReverted)]
    if not any(isinstance(e, ev.FaultInjected) for e in events):
        return Measure(None, "no fault was injected")
    if not reverts:
        return Measure(None, "no revert is recorded in the journal")
    reverted_at = max(reverts)
    troubled = any(p.breaches for p in probes) or any(False in p.points.ok for p in probes)
    if not troubled:
        return Measure(None, "nothing to recover from: no probe left its threshold")
    latest: dict[str, bool | None] = {}
    sampled = {p.name for p in probes if p.points}
    for ts, name, ok in _polls_since(samples, reverted_at):
        latest[name] = ok
        if set(latest) >= sampled and all(latest[n] is True for n in sampled):
            return Measure(
                ts - reverted_at,
                f"from the last revert ({offset(reverted_at - start)}) to the first poll with "
                f"every probe within its threshold ({offset(ts - start)})",
            )
    return Measure(
        None,
        f"steady state did not come back after the last revert ({offset(reverted_at - start)}) "
        "before the journal ends",
    )


def _polls_since(samples: Samples, since: float) -> list[tuple[float, str, bool | None]]:
    """(ts, probe, ok) of every sample at or after `since`, in journal order."""
    found: list[tuple[int, float, str, bool | None]] = []
    for name, series in samples.by_probe.items():
        for i, ts in enumerate(series.ts):
            if ts >= since:
                found.append((series.seq[i], ts, name, series.ok[i]))
    found.sort(key=lambda row: row[0])
    return [(ts, name, ok) for _, ts, name, ok in found]
