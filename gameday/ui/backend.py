"""What the console needs from the world, as one small port: a backend.

The console never builds a plan, a host driver or a journal itself; it asks its backend (the
demo's in-memory fleet, or a real inventory over SSH) and runs what it gets in worker threads.
Every method here may block (files, connections), so the console calls them only from
workers. Nothing in this module imports Textual.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the engine is imported when a session opens, not before the first frame
    from gameday.core.history import SessionSummary
    from gameday.core.plan import Plan
    from gameday.core.roles import Team
    from gameday.core.session import events as ev
    from gameday.engine.preflight import PreflightReport
    from gameday.engine.session import Session


@dataclass(frozen=True)
class ScenarioChoice:
    """One entry of the plan screen's scenario list."""

    key: str
    """What `Backend.plan` takes (a scenario file path)."""
    scenario_id: str
    title: str
    problem: str = ""
    """Why this file cannot be used (it did not validate); empty when it is fine."""


def scenario_choice(path: Path) -> ScenarioChoice:
    """The list entry for one scenario file: its id and title, or why it cannot be used."""
    from gameday.core.formats.scenario import load_scenario
    from gameday.errors import GamedayError

    try:
        scenario = load_scenario(path)
    except GamedayError as exc:
        return ScenarioChoice(str(path), path.stem, path.name, exc.message)
    return ScenarioChoice(str(path), scenario.id, scenario.title)


@dataclass(frozen=True)
class OpenedSession:
    """A session ready to `run()`, with what the console must release afterwards."""

    session: Session
    journal_path: Path
    close: Callable[[], None]
    """Close connections and the journal. Called once, after `run()` returned."""
    confirm: Callable[[Callable[[ev.Event], None]], bool] | None = None
    """One bounded attempt to reach the hosts the session left unconfirmed and confirm them
    (appending to the journal, handing each new event to the callable); True when nothing is
    left open. None: nothing to reach (the demo)."""


class Backend(Protocol):
    @property
    def label(self) -> str:
        """Where the console acts, for the title bar: the demo fleet or the inventory's path."""
        ...

    team: Team
    """The GameDay's name and people (the console's setup step sets it before a start)."""
    team_file: Path | None
    """Where the team is remembered between consoles; None: not remembered."""

    @property
    def author(self) -> str:
        """The name notes are written under."""
        ...

    @property
    def export_dir(self) -> Path:
        """Where the findings document is exported."""
        ...

    def now(self) -> float:
        """The session clock (UTC epoch seconds): what the time left is measured against."""
        ...

    def scenarios(self) -> list[ScenarioChoice]:
        """Every scenario on offer, in display order. Blocks (reads files)."""
        ...

    def plan(self, key: str) -> Plan:
        """The plan of one scenario (raises GamedayError with a sentence). Blocks."""
        ...

    def preflight(self, plan: Plan) -> PreflightReport:
        """Preflight only: connect, check every capability, sample each probe once; journal,
        arm and inject nothing. Blocks (may take seconds)."""
        ...

    def open(self, plan: Plan) -> OpenedSession:
        """Connect, build drivers and sources, open the journal. Blocks (may take seconds).

        Unreachable hosts are not an error here: they fail the session's preflight.
        """
        ...

    def sessions(self) -> list[SessionSummary]:
        """Past and running sessions journaled where this console writes, newest first.

        Blocks (reads every journal). Never raises for a bad journal: it is listed as such.
        """
        ...

    def export_findings(self, journal: Path) -> Path:
        """Write a finished session's findings (Markdown) into `export_dir` and record the
        export in its journal; return the file's path. Blocks. Raises GamedayError."""
        ...
