"""A 4-hour session on a fast clock, in its own process; prints one JSON object.

The real engine, the real journal on disk and the demo's simulated fleet: 32 hosts faulted,
20 probes sampled every second (14 400 polls), a note a minute. Time moves only when the engine
waits, so four hours pass in a minute or two. Measured: the journal's size, the process's RSS
every half hour of session time (the end and the slope over the last three hours), and the time
to export the findings from the journal (the median of EXPORTS exports, and the slowest).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.fleet32 import Fleet32Backend, write_fleet
from gameday.app.demo import DemoOptions
from gameday.core.findings.build import findings_from_file, render_markdown
from gameday.demo.clock import SteppingClock

HOURS = float(os.environ.get("GAMEDAY_BENCH_HOURS", "4"))
EXPORTS = 3
"""Exports timed, one after another: one figure on a shared machine moved by up to ±15%."""


class NotingClock(SteppingClock):
    """A stepping clock that calls `every_minute` each time a minute of session time passes, and
    `every_half_hour` each half hour (from the engine's own thread, between polls)."""

    def __init__(self) -> None:
        super().__init__()
        self.start = self.now()
        self.minutes = 0
        self.every_minute: list[object] = []
        self.rss: list[tuple[float, float]] = []

    def wait(self, seconds: float, cancel: threading.Event) -> bool:
        cancelled = super().wait(seconds, cancel)
        elapsed = self.now() - self.start
        while self.minutes < int(elapsed // 60):
            self.minutes += 1
            for call in self.every_minute:
                call(self.minutes)  # type: ignore[operator]
            if self.minutes % 30 == 0:
                self.rss.append((self.minutes / 60, _rss_mb()))
        return cancelled


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="gdbench-long-"))
    clock = NotingClock()
    files = write_fleet(folder, duration=f"{int(HOURS * 60)}m")
    backend = Fleet32Backend(
        DemoOptions(journal_dir=folder, clock=clock, host_delay=0.0), files=files
    )
    plan = backend.plan(str(files[1]))
    opened = backend.open(plan)
    session = opened.session
    clock.every_minute.append(
        lambda minute: session.add_note("facilitator", f"minute {minute}: all calm")
    )
    polls = [0]

    def count(event: object) -> None:
        if type(event).__name__ == "ProbeSampled":
            polls[0] += 1

    session.subscribe(count)
    started = time.perf_counter()
    session.run()
    ran = time.perf_counter() - started
    opened.close()
    exports = []
    for _ in range(EXPORTS):
        exported = time.perf_counter()
        render_markdown(findings_from_file(opened.journal_path))
        exports.append(time.perf_counter() - exported)
    late = [(h, mb) for h, mb in clock.rss if h >= 1.0]
    slope = _slope(late) if len(late) >= 2 else 0.0
    print(
        json.dumps(
            {
                "session_hours": HOURS,
                "samples": float(polls[0]),
                "journal_mb": round(opened.journal_path.stat().st_size / 2**20, 1),
                "rss_mb_end": round(_rss_mb(), 1),
                "rss_mb_per_hour_after_1h": round(slope, 2),
                "rss_mb_by_half_hour": [round(mb, 1) for _, mb in clock.rss],
                "export_ms": round(statistics.median(exports) * 1000, 1),
                "export_max_ms": round(max(exports) * 1000, 1),
                "run_s": round(ran, 1),
            }
        )
    )
    return 0


def _slope(points: list[tuple[float, float]]) -> float:
    """Least-squares MB per hour."""
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else 0.0


if __name__ == "__main__":
    sys.exit(main())
