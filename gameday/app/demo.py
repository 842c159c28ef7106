"""The demo backend: the console's port implemented over the simulated fleet.

It uses the real parts everywhere but the hosts and the metrics: packaged scenarios read by the
real loader, the real plan, the real engine (`Session`), the real journal on disk and the real
findings. Needs no root and contacts nothing.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from gameday.core.roles import Team
from gameday.demo.clock import ScaledClock
from gameday.ui.backend import OpenedSession, ScenarioChoice, scenario_choice

if TYPE_CHECKING:  # the engine and the loaders are imported when used: the console's first
    # frame does not wait for them
    from gameday.core.formats.inventory import Inventory, NotifyTarget
    from gameday.core.history import SessionSummary
    from gameday.core.plan import Plan
    from gameday.demo.simulation import DemoHost, Fleet
    from gameday.engine.ports import Clock, HostDriver, MetricSource
    from gameday.engine.preflight import PreflightReport

MISSING = {"web-3": frozenset({"netem"})}
"""web-3 runs a kernel without netem: latency scenarios fail its preflight, as in real life."""

AUTHOR = "coordinator"
NOTIFY_WAIT = 5.0


def demo_dir() -> Path:
    """The packaged demo files (fleet.yaml and scenarios/)."""
    return Path(str(resources.files("gameday.demo")))


def default_demo_journal_dir() -> Path:
    """Per-user: next to real journals, but apart from them (`.../gameday/demo`)."""
    from gameday.core.session.paths import default_journal_dir

    return default_journal_dir().parent / "demo"


@dataclass(frozen=True)
class DemoOptions:
    seed: int = 7
    """Seeds the metrics' noise and the hosts' command delays."""
    speed: float = 1.0
    """How much faster than real time the demo's clock runs."""
    host_delay: float = 1.0
    """Scale of the simulated command and scrape delays (0: none)."""
    journal_dir: Path | None = None
    """Default: the per-user demo journal directory."""
    clock: Clock | None = None
    """Overrides `speed` (tests pass a SteppingClock)."""


@dataclass
class DemoBackend:
    """The console's backend for `gameday demo` (see gameday.ui.backend.Backend)."""

    options: DemoOptions = field(default_factory=DemoOptions)
    label: str = "demo fleet (simulated, nothing is contacted)"
    author: str = AUTHOR
    team: Team = field(default_factory=Team)
    team_file: Path | None = None
    notify: tuple[NotifyTarget, ...] = ()
    """`gameday demo --notify URL`: the demo's sessions are told like real ones."""
    fleets: list[Fleet] = field(default_factory=list)
    """The fleet of every session opened, newest last (tests look at what is still active)."""
    hosts: list[dict[str, DemoHost]] = field(default_factory=list)
    """The hosts of every session opened, newest last."""
    journals: list[Path] = field(default_factory=list)
    """The journal of every session opened, newest last."""

    def __post_init__(self) -> None:
        self.clock: Clock = self.options.clock or ScaledClock(self.options.speed)
        self.journal_dir = self.options.journal_dir or default_demo_journal_dir()
        self.export_dir = self.journal_dir
        self._inventory: Inventory | None = None

    def now(self) -> float:
        return self.clock.now()

    @property
    def inventory(self) -> Inventory:
        if self._inventory is None:
            from gameday.core.formats.inventory_loader import load_inventory

            self._inventory = load_inventory(demo_dir() / "fleet.yaml")
        return self._inventory

    def scenarios(self) -> list[ScenarioChoice]:
        return [scenario_choice(p) for p in sorted((demo_dir() / "scenarios").glob("*.yaml"))]

    def plan(self, key: str) -> Plan:
        from gameday.core.formats.scenario import load_scenario
        from gameday.core.plan import build_plan

        return build_plan(load_scenario(key), self.inventory)

    def preflight(self, plan: Plan) -> PreflightReport:
        """Preflight only on a fresh simulated fleet (nothing is armed, nothing journaled)."""
        from gameday.demo.simulation import DemoHost, DemoSource, Fleet
        from gameday.engine.preflight import check_only

        seed, delay = self.options.seed, self.options.host_delay
        fleet = Fleet(self.inventory, MISSING)
        drivers: dict[str, HostDriver] = {
            name: DemoHost(name, fleet, seed=seed, delay=delay) for name in plan.selection.targets
        }
        sources: dict[str, MetricSource] = {
            probe.name: DemoSource(probe, fleet, seed=seed, delay=delay)
            for probe in plan.scenario.steady_state.probes
        }
        self.fleets.append(fleet)
        return check_only(plan, drivers, sources)

    def open(self, plan: Plan) -> OpenedSession:
        seed, delay = self.options.seed, self.options.host_delay
        from gameday.core.session.control import ControlFile
        from gameday.core.session.journal import JournalWriter
        from gameday.demo.simulation import DemoHost, DemoSource, Fleet
        from gameday.engine.session import Session, SessionConfig

        fleet = Fleet(self.inventory, MISSING)
        hosts = {
            name: DemoHost(name, fleet, seed=seed, delay=delay) for name in plan.selection.targets
        }
        drivers: dict[str, HostDriver] = dict(hosts)
        sources: dict[str, MetricSource] = {
            probe.name: DemoSource(probe, fleet, seed=seed, delay=delay)
            for probe in plan.scenario.steady_state.probes
        }
        session_id, path = self._journal_path(plan.scenario.id)
        journal = JournalWriter(path, clock=self.clock.now)
        config = SessionConfig(
            session_id=session_id,
            mode="demo",
            environment="demo",
            participants=self.team.participants(self.author),
            gameday_name=self.team.name,
        )
        session = Session(plan, drivers, sources, journal, config, clock=self.clock)
        self.fleets.append(fleet)
        self.hosts.append(hosts)
        self.journals.append(path)
        # `gameday abort` reaches the demo as it reaches any console; "demo" tells it that
        # there is no host to connect to
        control = ControlFile(
            ControlFile.for_journal(path), os.getpid(), session_id, str(path), "demo"
        )
        control.write()
        if not self.notify:

            def close_journal() -> None:
                control.remove()
                journal.close()

            return OpenedSession(session, path, close_journal)
        from gameday.app.live import start_notifier

        close_notifier = start_notifier(session, self.notify, path, self.inventory)

        def close() -> None:
            control.remove()
            close_notifier(NOTIFY_WAIT)  # first: what it journals still reaches the journal
            journal.close()

        return OpenedSession(session, path, close)

    def sessions(self) -> list[SessionSummary]:
        from gameday.core.history import list_sessions

        # Demo sessions run in this process (no control file): one opened here that has not
        # ended is running.
        return list_sessions(self.journal_dir, lambda journal: journal in self.journals)

    def _journal_path(self, scenario_id: str) -> tuple[str, Path]:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(self.clock.now()))
        base = f"{stamp}-{scenario_id}"
        session_id, number = base, 1
        while (self.journal_dir / f"{session_id}.jsonl").exists():
            number += 1
            session_id = f"{base}-{number}"
        return session_id, self.journal_dir / f"{session_id}.jsonl"

    def export_findings(self, journal: Path) -> Path:
        from gameday.app.exports import export_markdown

        return export_markdown(journal, self.export_dir)
