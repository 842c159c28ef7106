"""psutil gauges of the console's own machine: CPU, memory and load.

- `cpu`: percent of all CPUs busy since the previous sample of this source (the first sample
  covers the time since the source was built, at least 0.1 s). Computed from this source's own
  snapshots of `psutil.cpu_times()`, so two sources (or anyone calling `psutil.cpu_percent`)
  never disturb each other's measurement, and a sample never blocks for a full interval.
- `memory`: percent of physical memory in use (`psutil.virtual_memory().percent`).
- `load`: the 1-minute load average (not divided by the number of CPUs).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import psutil

from gameday.core.formats.probes import Probe
from gameday.engine.ports import Reading

GAUGES = ("cpu", "memory", "load")
_MIN_CPU_WINDOW = 0.1
"""Seconds: shorter windows give noisy CPU percentages (a few clock ticks)."""


class SystemSource:
    """A `MetricSource` for a `system:` probe."""

    def __init__(self, probe: Probe) -> None:
        gauge = probe.query.strip().lower()
        if gauge not in GAUGES:
            raise ValueError(f"unknown system gauge {probe.query!r} (one of {', '.join(GAUGES)})")
        self.name = probe.name
        self.gauge = gauge
        self._last_cpu = _cpu_snapshot()
        self._last_at = time.monotonic()
        readers: dict[str, Callable[[], Reading]] = {
            "cpu": self._cpu,
            "memory": _memory,
            "load": _load,
        }
        self._read = readers[gauge]

    def __repr__(self) -> str:
        return f"SystemSource(name={self.name!r}, gauge={self.gauge!r})"

    def sample(self) -> Reading:
        """The gauge now; at most ~0.1 s, never raises."""
        try:
            return self._read()
        except Exception as exc:  # psutil can fail on odd /proc states: no data, not a crash
            return Reading(None, f"cannot read {self.gauge}: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        return

    def _cpu(self) -> Reading:
        waited = time.monotonic() - self._last_at
        if waited < _MIN_CPU_WINDOW:
            time.sleep(_MIN_CPU_WINDOW - waited)
        busy, total = _cpu_snapshot()
        last_busy, last_total = self._last_cpu
        self._last_cpu, self._last_at = (busy, total), time.monotonic()
        elapsed = total - last_total
        if elapsed <= 0:
            return Reading(None, "no CPU time elapsed since the last sample")
        percent = min(100.0, max(0.0, 100.0 * (busy - last_busy) / elapsed))
        return Reading(round(percent, 1), f"{psutil.cpu_count() or 1} CPUs")


def _cpu_snapshot() -> tuple[float, float]:
    """(busy, total) CPU seconds over all CPUs, counted as psutil.cpu_percent counts them."""
    times = psutil.cpu_times()
    total = sum(times)
    # guest time is already included in user time on Linux
    total -= getattr(times, "guest", 0.0) + getattr(times, "guest_nice", 0.0)
    idle = times.idle + getattr(times, "iowait", 0.0)
    return total - idle, total


def _memory() -> Reading:
    memory = psutil.virtual_memory()
    return Reading(float(memory.percent), f"{memory.available / 2**30:.1f} GiB available")


def _load() -> Reading:
    one, _, _ = psutil.getloadavg()
    return Reading(round(float(one), 2), f"{psutil.cpu_count() or 1} CPUs")
