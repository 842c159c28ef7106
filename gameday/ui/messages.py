"""Messages the console's workers post to its screens ("attributes down, messages up").

Workers run in threads and never touch a widget: they post one of these (`post_message` is
thread-safe) and the screen updates itself on the UI thread. Payloads are immutable (engine
events are frozen dataclasses, tuples, strings); the message classes themselves cannot be
frozen because Textual marks a message as handled by setting attributes on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from gameday.ui.backend import ScenarioChoice

if TYPE_CHECKING:  # the engine's events are imported by the session's modules, when one starts
    from gameday.core.plan import Plan
    from gameday.core.session import events as ev
    from gameday.engine.ports import StageReport
    from gameday.engine.preflight import PreflightReport


@dataclass
class EngineEvent(Message):
    """One engine event, already journaled, from an engine thread."""

    event: ev.Event


@dataclass
class LadderQuestion(Message):
    """A stage held: the owner says go or no-go to the next one (from the session thread)."""

    report: StageReport


@dataclass
class SessionFinished(Message):
    """`Session.run()` returned; the journal is closed."""

    verdict: ev.Verdict | None
    reason: str


@dataclass
class SessionFailed(Message):
    """The session worker raised: the session did not run to its end."""

    reason: str


@dataclass
class ScenariosLoaded(Message):
    choices: tuple[ScenarioChoice, ...]
    problem: str = ""
    """Why the scenarios could not be read (then `choices` is empty)."""


@dataclass
class PlanReady(Message):
    """The plan of one scenario, or why there is none."""

    key: str
    plan: Plan | None
    problem: str = ""


@dataclass
class FindingsReady(Message):
    markdown: str
    """The whole document, as exported."""
    verdict: str
    reason: str
    shown: str = ""
    """What the screen renders (the document without its Mermaid charts)."""


@dataclass
class FindingsExported(Message):
    path: str


@dataclass
class ReadyToQuit(Message):
    """Every fault was reverted (or the wait gave up): the console may exit."""

    reverted: bool


@dataclass
class PreflightDone(Message):
    """Preflight only answered: the report, or why it could not run."""

    report: PreflightReport | None
    problem: str = ""
