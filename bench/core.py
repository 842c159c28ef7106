"""Benchmarks of the pure core: journal writes, replay, findings, blast radius on a big fleet."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType

from gameday.core.findings.build import findings_from_file, render_markdown
from gameday.core.formats.inventory import Host, Inventory
from gameday.core.formats.scenario import TargetSpec
from gameday.core.selection import select_targets
from gameday.core.session import events as ev
from gameday.core.session.journal import JournalWriter, read_journal
from gameday.core.session.state import replay

Result = dict[str, float]


def _timed(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median seconds of `repeat` runs."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]


def _session(hosts: int, samples: int) -> list[ev.Event]:
    names = [f"web-{i}" for i in range(hosts)]
    events: list[ev.Event] = [
        ev.SessionStarted(
            session_id="bench",
            scenario_id="bench",
            scenario_title="bench",
            scenario_file="bench.yaml",
            scenario_sha256="0" * 64,
            hypothesis="h",
            inventory_file="inventory.yaml",
            scenario={"steady_state": {"probes": [{"name": "p", "kind": "prometheus", "max": 5}]}},
        ),
        ev.PlanMade(targets=tuple(names), spared={}, waves=(tuple(names),)),
        ev.PhaseChanged(phase="inject"),
    ]
    events += [ev.FaultInjected(host=h, fault_id=f"f-{h}", kind="cpu_stress") for h in names]
    events.append(ev.PhaseChanged(phase="monitor"))
    events += [
        ev.ProbeSampled(probe="p", value=float(i % 7), ok=i % 7 <= 5) for i in range(samples)
    ]
    events += [ev.FaultReverted(host=h, fault_id=f"f-{h}", verified=True) for h in names]
    events += [ev.VerdictReached(verdict="deviated"), ev.SessionEnded()]
    return events


def journal_append(count: int = 2000) -> Result:
    """Events per second through JournalWriter (each one flushed and fsynced)."""
    with tempfile.TemporaryDirectory() as tmp:
        writer = JournalWriter(Path(tmp) / "s.jsonl")
        started = time.perf_counter()
        for i in range(count):
            writer.append(ev.ProbeSampled(probe="p", value=float(i), ok=True))
        elapsed = time.perf_counter() - started
        writer.close()
    return {"events_per_s": count / elapsed, "ms_per_event": 1000 * elapsed / count}


def journal_read_and_findings(hosts: int = 64, samples: int = 3600) -> Result:
    """Reading, replaying and exporting a one-hour session sampled every second."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.jsonl"
        writer = JournalWriter(path)
        for event in _session(hosts, samples):
            writer.append(event)
        writer.close()
        read_s = _timed(lambda: read_journal(path))
        events = read_journal(path).events
        replay_s = _timed(lambda: replay(events))
        export_s = _timed(lambda: render_markdown(findings_from_file(path)), repeat=3)
    return {
        "events": float(len(events)),
        "read_ms": read_s * 1000,
        "replay_ms": replay_s * 1000,
        "export_md_ms": export_s * 1000,
    }


def selection(hosts: int = 10_000) -> Result:
    """Blast radius over a big inventory: tags, exclusions and a seeded percentage."""
    fleet = {
        f"h{i}": Host(
            name=f"h{i}",
            address=f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
            tags=MappingProxyType({"role": "web" if i % 3 else "db", "zone": "abc"[i % 3]}),
        )
        for i in range(hosts)
    }
    inventory = Inventory(file="bench", hosts=fleet, groups={})
    spec = TargetSpec(tags={"role": "web"}, exclude=("h1", "h2"), percentage=10, max_concurrent=50)
    seconds = _timed(lambda: select_targets(inventory, spec, seed=7))
    return {"hosts": float(hosts), "select_ms": seconds * 1000}


BENCHMARKS: dict[str, Callable[[], Result]] = {
    "journal_append": journal_append,
    "journal_read_and_findings": journal_read_and_findings,
    "selection": selection,
}
