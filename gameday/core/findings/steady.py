"""Steady state in the findings: the fault window, per-probe statistics, breaches, recovery."""

from __future__ import annotations

import math
from collections.abc import Sequence

from gameday.core import events as ev
from gameday.core.findings.model import Breach, Measure, Point, ProbeFindings, Stats, Window
from gameday.core.findings.snapshot import ProbeDef, threshold_text
from gameday.core.findings.text import number, offset

_BEFORE_PHASES = ("preflight", "baseline", "warmup")
_DURING_PHASES = ("inject", "monitor")


def fault_window(events: Sequence[ev.Event]) -> tuple[tuple[float, float] | None, str]:
    """First injection → last revert; to the journal's end while any fault may still be active.

    Returns the window (or None when nothing was injected) and why it ends where it does.
    """
    injected = [e for e in events if isinstance(e, ev.FaultInjected)]
    if not injected:
        return None, ""
    start = injected[0].ts
    reverted = {(e.host, e.fault_id): e.ts for e in events if isinstance(e, ev.FaultReverted)}
    open_faults = {(e.host, e.fault_id) for e in injected} - set(reverted)
    if open_faults or not reverted:
        return (start, max(start, events[-1].ts)), "end of the journal"
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
    values = sorted(p.value for p in points if p.value is not None and math.isfinite(p.value))
    no_data = len(points) - len(values)
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
) -> list[ProbeFindings]:
    """One entry per probe: the snapshot's probes in order, then any other probe sampled."""
    known = {d.name: d for d in defs or []}
    names = [d.name for d in defs or []]
    # one pass over the journal, each probe's events apart (a long session has many samples)
    by_probe: dict[str, list[ev.Event]] = {name: [] for name in names}
    for e in events:
        if isinstance(e, ev.ProbeSampled | ev.ThresholdCrossed):
            if e.probe not in by_probe:
                names.append(e.probe)
                by_probe[e.probe] = []
            by_probe[e.probe].append(e)
    return [
        _one_probe(name, known.get(name), by_probe[name], window, defs is not None)
        for name in names
    ]


def _one_probe(
    name: str,
    definition: ProbeDef | None,
    events: Sequence[ev.Event],
    window: tuple[float, float] | None,
    snapshot_has_probes: bool,
) -> ProbeFindings:
    points = tuple(
        Point(e.ts, e.value, e.ok, e.phase, classify(e.ts, e.phase, window))
        for e in events
        if isinstance(e, ev.ProbeSampled) and e.probe == name
    )
    breaches = _breaches(name, events)
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
        before=stats([p for p in points if p.window == "before"]),
        during=stats([p for p in points if p.window == "during"]),
        after=stats([p for p in points if p.window == "after"]),
        breaches=breaches,
        points=points,
        missing=tuple(missing),
    )


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
    events: Sequence[ev.Event], probes: Sequence[ProbeFindings], start: float
) -> Measure:
    """From the last revert to the first poll where every sampled probe is within its bounds."""
    reverts = [e.ts for e in events if isinstance(e, ev.FaultReverted)]
    if not any(isinstance(e, ev.FaultInjected) for e in events):
        return Measure(None, "no fault was injected")
    if not reverts:
        return Measure(None, "no revert is recorded in the journal")
    reverted_at = max(reverts)
    troubled = any(p.breaches for p in probes) or any(
        pt.ok is False for p in probes for pt in p.points
    )
    if not troubled:
        return Measure(None, "nothing to recover from: no probe left its threshold")
    latest: dict[str, bool | None] = {}
    sampled = {p.name for p in probes if p.points}
    for e in events:
        if not isinstance(e, ev.ProbeSampled) or e.ts < reverted_at:
            continue
        latest[e.probe] = e.ok
        if set(latest) >= sampled and all(latest[n] is True for n in sampled):
            return Measure(
                e.ts - reverted_at,
                f"from the last revert ({offset(reverted_at - start)}) to the first poll with "
                f"every probe within its threshold ({offset(e.ts - start)})",
            )
    return Measure(
        None,
        f"steady state did not come back after the last revert ({offset(reverted_at - start)}) "
        "before the journal ends",
    )
