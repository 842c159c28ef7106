"""Sampling the steady state: every probe at once, each poll turned into the events it means.

A `Sampler` asks every source in parallel (each source bounds itself by its probe's timeout)
from one thread pool kept for the session, and returns the readings with the events to journal:
one `probe_sampled` per probe, and a `threshold_crossed` the moment a probe leaves its bounds
or comes back. It journals nothing itself: the session does, with one fsync per poll.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

from gameday.core.formats.probes import Probe
from gameday.core.session import events as ev
from gameday.core.steady import evaluate
from gameday.engine.ports import MetricSource, Reading

Direction = Literal["above", "below"]


class Sampler:
    def __init__(self, probes: Mapping[str, Probe], sources: Mapping[str, MetricSource]) -> None:
        self._probes = dict(probes)
        self._sources = dict(sources)
        self._breaching: dict[str, tuple[Direction, float]] = {}
        """Probe → how it is out of bounds now (direction, the bound it crossed)."""
        self._pool: ThreadPoolExecutor | None = None

    def sample(self, phase: ev.Phase) -> tuple[dict[str, Reading], list[ev.Event]]:
        """Every probe's reading, and the events that say it, in scenario order."""
        names = list(self._sources)
        if not names:
            return {}, []
        pool = self._probe_pool(len(names))
        readings = dict(
            zip(names, pool.map(lambda n: self._sources[n].sample(), names), strict=True)
        )
        events: list[ev.Event] = []
        for name, reading in readings.items():
            probe = self._probes[name]
            ok = evaluate(probe, reading.value)
            events.append(
                ev.ProbeSampled(
                    probe=name, value=reading.value, ok=ok, phase=phase, detail=reading.detail
                )
            )
            events.extend(self._crossing(probe, reading.value, ok))
        return readings, events

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)

    def _probe_pool(self, size: int) -> ThreadPoolExecutor:
        """One pool for every poll of the session (threads are not made anew each second)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="probe")
        return self._pool

    def _crossing(self, probe: Probe, value: float | None, ok: bool | None) -> list[ev.Event]:
        """The moment a probe leaves its thresholds and the moment it comes back."""
        if ok is None or value is None:
            return []
        breach = self._breaching.get(probe.name)
        if not ok and breach is None:
            above = probe.max is not None and value > probe.max
            bound = probe.max if above else probe.min
            direction: Direction = "above" if above else "below"
            limit = float(bound if bound is not None else 0.0)
            self._breaching[probe.name] = (direction, limit)
            return [
                ev.ThresholdCrossed(
                    probe=probe.name, value=value, bound=limit, direction=direction, unit=probe.unit
                )
            ]
        if ok and breach is not None:
            del self._breaching[probe.name]
            return [
                ev.ThresholdCrossed(
                    probe=probe.name,
                    value=value,
                    bound=breach[1],
                    direction=breach[0],
                    recovered=True,
                    unit=probe.unit,
                )
            ]
        return []


def describe_reading(probe: Probe, reading: Reading) -> str:
    """A reading out of bounds or without data, in a few words."""
    if reading.value is None:
        return f"no data ({reading.detail})" if reading.detail else "no data"
    return f"{reading.value:g}{probe.unit} outside [{probe.min}, {probe.max}]"
