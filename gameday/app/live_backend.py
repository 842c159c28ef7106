"""The console's backend for real fleets: scenarios from a folder, an inventory, SSH.

A thin adapter over `gameday.app.live` (the same composition root as `gameday run --headless`):
`open()` enters `live_session` and hands its `close` to the console, which calls it from the
same worker thread once the session has ended. Connecting happens in `open()`, in a worker;
unreachable hosts become preflight failures, as in headless runs.
"""

from __future__ import annotations

import functools
import getpass
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from gameday.core.history import SessionSummary, list_sessions
from gameday.core.plan import Plan
from gameday.core.roles import Team
from gameday.core.session import events as ev
from gameday.engine.preflight import PreflightReport
from gameday.ui.backend import OpenedSession, ScenarioChoice, scenario_choice

YAML_SUFFIXES = (".yaml", ".yml")
CONFIRM_CONNECT_TIMEOUT = 5.0
"""Seconds one background confirm attempt may spend connecting to a host."""


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "coordinator"


@dataclass
class LiveBackend:
    inventory: Path
    scenario_dir: Path
    journal_dir: Path
    trust_new_hosts: bool = False
    seed: int | None = None
    environment: str = ""
    export_dir: Path = field(default_factory=Path.cwd)
    author: str = field(default_factory=_user)
    team: Team = field(default_factory=Team)
    team_file: Path | None = None
    notify_urls: tuple[str, ...] = ()
    """`--notify URL`s, added to the inventory's notify targets."""

    @property
    def label(self) -> str:
        return f"inventory {self.inventory}"

    def now(self) -> float:
        return time.time()

    def scenarios(self) -> list[ScenarioChoice]:
        from gameday.core.formats.detect import detect_kind

        if not self.scenario_dir.is_dir():
            return []
        files = sorted(
            p
            for p in self.scenario_dir.iterdir()
            if p.suffix.lower() in YAML_SUFFIXES and p.is_file() and not p.name.startswith(".")
        )
        # an example inventory kept next to the scenarios is not one of them
        return [scenario_choice(p) for p in files if detect_kind(str(p)) == "scenario"]

    def plan(self, key: str) -> Plan:
        from gameday.app.live import load_plan

        return load_plan(key, str(self.inventory), self.seed)

    def preflight(self, plan: Plan) -> PreflightReport:
        from gameday.app.live import LiveOptions, live_check

        return live_check(plan, LiveOptions(self.journal_dir, trust_new_hosts=self.trust_new_hosts))

    def open(self, plan: Plan) -> OpenedSession:
        from gameday.app.live import LiveOptions, live_session, notify_targets

        options = LiveOptions(
            journal_dir=self.journal_dir,
            seed=self.seed,
            trust_new_hosts=self.trust_new_hosts,
            environment=self.environment,
            mode="console",
            participants=self.team.participants(self.author),
            gameday_name=self.team.name,
            notify=notify_targets(plan.inventory, self.notify_urls),
        )
        stack = ExitStack()
        session = stack.enter_context(live_session(plan, options))
        path = self.journal_dir / f"{session.config.session_id}.jsonl"
        confirm = functools.partial(self.confirm_once, path)
        return OpenedSession(session, path, stack.close, confirm)

    def sessions(self) -> list[SessionSummary]:
        from gameday.app.headless import journal_is_running

        return list_sessions(self.journal_dir, journal_is_running)

    def export_findings(self, journal: Path) -> Path:
        from gameday.app.exports import export_markdown

        return export_markdown(journal, self.export_dir)

    def confirm_once(self, journal: Path, listener: Callable[[ev.Event], None]) -> bool:
        """One bounded attempt to reach the journal's unconfirmed hosts and confirm them (as
        `gameday recover` does, with a short connect timeout). True when none is left."""
        from gameday.adapters.ssh import SshConnector
        from gameday.adapters.ssh_config import SshOptions
        from gameday.engine.recovery import inventory_for, open_faults, recover

        _, inventory_file, faults = open_faults(journal)
        if not faults:
            return True
        inventory = inventory_for(inventory_file, str(self.inventory))
        options = SshOptions(trust_new_hosts=False, connect_timeout=CONFIRM_CONNECT_TIMEOUT)
        outcomes = recover(
            journal,
            SshConnector(inventory, options).open,
            sudo_of=lambda h: bool(inventory.hosts[h].sudo) if h in inventory.hosts else False,
            listener=listener,
        )
        return all(not outcome.unconfirmed for outcome in outcomes)
