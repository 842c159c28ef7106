"""Console tests run the real engine over the demo's simulated fleet.

`fast` sessions run on a sped-up clock (a scenario's minute takes a few seconds), so a test can
act while faults are active; `instant` sessions run on a stepping clock (no real waiting at
all, and the same timestamps on every run: what snapshots need).
"""

from __future__ import annotations

import asyncio
import functools
import io
import threading
import time
from collections.abc import Callable, Coroutine, Iterable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from rich.console import Console
from textual import events
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from gameday.app.demo import DemoBackend, DemoOptions
from gameday.core.session import events as ev
from gameday.core.session.journal import read_journal
from gameday.demo.clock import DEFAULT_START, SteppingClock
from gameday.ui.app import GamedayApp, make_app
from gameday.ui.runner import SessionRunner
from gameday.ui.screens.confirm import ConfirmScreen
from gameday.ui.screens.plan import PlanScreen
from gameday.ui.screens.session import SessionScreen
from gameday.ui.screens.team import TeamScreen
from gameday.ui.widgets.hosts import HostsTable

Returns = TypeVar("Returns")
"""What an app under test returns: `until` waits on any app's pilot."""

SnapCompare = Callable[..., bool]
"""The `snap_compare` fixture of pytest-textual-snapshot (app, terminal_size=, run_before=)."""

WAIT = 15.0
"""Upper bound of every wait in these tests, in seconds."""


@pytest.fixture
def fast(tmp_path: Path) -> Callable[..., GamedayApp]:
    def build(speed: float = 10.0, seed: int = 7, host_delay: float = 0.0) -> GamedayApp:
        options = DemoOptions(seed=seed, speed=speed, host_delay=host_delay, journal_dir=tmp_path)
        return make_app(DemoBackend(options))

    return build


@pytest.fixture
def instant(tmp_path: Path) -> Callable[..., GamedayApp]:
    def build(journal_dir: Path | None = None) -> GamedayApp:
        options = DemoOptions(
            seed=7, clock=SteppingClock(), host_delay=0.0, journal_dir=journal_dir or tmp_path
        )
        return make_app(DemoBackend(options))

    return build


class HoldingClock(SteppingClock):
    """A stepping clock that stops at `hold_at` (the session is frozen mid-run, for snapshots)
    until `release` is set, a cancel comes (the kill switch), or `hold_for` real seconds passed."""

    def __init__(self, hold_at: float, hold_for: float = 8.0) -> None:
        super().__init__()
        self.hold_at = hold_at
        self.hold_for = hold_for
        self.holding = threading.Event()
        """Set once the session's clock reached `hold_at` and waits."""
        self.release = threading.Event()

    def wait(self, seconds: float, cancel: threading.Event) -> bool:
        if self.now() + seconds >= self.hold_at and not self.release.is_set():
            self.holding.set()
            deadline = time.monotonic() + self.hold_for
            while not (self.release.is_set() or cancel.is_set()) and time.monotonic() < deadline:
                cancel.wait(0.05)
            self.release.set()
        return super().wait(seconds, cancel)


@pytest.fixture
def held(tmp_path: Path) -> Callable[..., GamedayApp]:
    """An app on the stepping clock whose session freezes `at` seconds after the clock's start."""

    def build(at: float, journal_dir: Path | None = None) -> GamedayApp:
        clock = HoldingClock(DEFAULT_START + at)
        options = DemoOptions(
            seed=7, clock=clock, host_delay=0.0, journal_dir=journal_dir or tmp_path
        )
        return make_app(DemoBackend(options))

    return build


def in_loop(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test in its own event loop (no async plugin for pytest is needed)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


def demo(app: GamedayApp) -> DemoBackend:
    assert isinstance(app.backend, DemoBackend)
    return app.backend


async def until(pilot: Pilot[Returns], condition: Callable[[], object], what: str) -> None:
    """Let the app run until `condition()` is true; fail after WAIT seconds."""
    for _ in range(int(WAIT / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def choose(pilot: Pilot[int], scenario: str) -> PlanScreen:
    """Highlight a scenario (by file stem) on the plan screen and wait for its plan."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, PlanScreen), "the plan screen")
    screen = app.screen
    assert isinstance(screen, PlanScreen)
    options = screen.query_one("#scenarios", OptionList)
    await until(pilot, lambda: options.option_count > 0, "the scenario list")
    ids = [options.get_option_at_index(i).id or "" for i in range(options.option_count)]
    index = next(i for i, key in enumerate(ids) if Path(key).stem == scenario)
    options.highlighted = index
    await until(pilot, lambda: ids[index] in screen.plans, f"the plan of {scenario}")
    await pilot.pause()
    return screen


async def start(pilot: Pilot[int], scenario: str) -> None:
    """Choose a scenario, press s, confirm."""
    await choose(pilot, scenario)
    await pilot.press("s")
    await pilot.pause()
    await pilot.press("y")
    await pilot.pause()


async def confirm_dialog(pilot: Pilot[int], what: str = "the dialog") -> ConfirmScreen:
    """Wait until a confirmation dialog is on top and return it."""
    await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), what)
    dialog = pilot.app.screen
    assert isinstance(dialog, ConfirmScreen)
    return dialog


async def start_dialog(pilot: Pilot[int], scenario: str) -> ConfirmScreen:
    """Choose a scenario, press s, and return the dialog that asks to start it."""
    await choose(pilot, scenario)
    await pilot.press("s")
    return await confirm_dialog(pilot, "the start dialog")


async def session(pilot: Pilot[int], scenario: str) -> SessionScreen:
    """Start a scenario (`start`) and return the session screen it opened."""
    await start(pilot, scenario)
    screen = pilot.app.screen
    assert isinstance(screen, SessionScreen)
    return screen


async def team_dialog(pilot: Pilot[int]) -> TeamScreen:
    """The team dialog, opened from the plan screen."""
    await choose(pilot, "web-cpu")
    await pilot.press("t")
    await until(pilot, lambda: isinstance(pilot.app.screen, TeamScreen), "the team dialog")
    screen = pilot.app.screen
    assert isinstance(screen, TeamScreen)
    return screen


async def journaling(pilot: Pilot[int]) -> SessionRunner:
    """The started session's runner, once its journal is open."""
    app = pilot.app
    assert isinstance(app, GamedayApp)
    runner = app.runner
    assert runner is not None
    await until(pilot, lambda: runner.journal_path is not None, "the session's journal")
    return runner


async def injected(pilot: Pilot[int], scenario: str) -> tuple[SessionScreen, HostsTable]:
    """Start a scenario and wait until a fault is injected on some host."""
    screen = await session(pilot, scenario)
    hosts = screen.query_one(HostsTable)
    await until(pilot, lambda: "injected" in hosts.statuses.values(), "an injected fault")
    return screen, hosts


async def verdict_of(pilot: Pilot[int], screen: SessionScreen, what: str = "the verdict") -> str:
    """Wait for the session's verdict line and return it."""
    await until(pilot, lambda: screen.verdict is not None, what)
    assert screen.verdict is not None
    return screen.verdict


_CHARACTERS = {"enter": "\r", "backspace": "\x7f", "ctrl+a": "\x01"}
_KEY_NAMES = {":": "colon", ">": "greater_than_sign", "-": "minus", " ": "space"}


def burst(app: GamedayApp, keys: Iterable[str]) -> None:
    """Send `keys` (a character, or a key's name: `enter`, `backspace`, `ctrl+a`) to the app all
    at once, with no wait between: a fast typist, a busy console, keys sent by a terminal
    multiplexer. The app handles them after they have all arrived."""
    driver = app._driver
    assert driver is not None
    for key in keys:
        if len(key) == 1:
            driver.send_message(events.Key(_KEY_NAMES.get(key, key), key))
        else:
            driver.send_message(events.Key(key, _CHARACTERS.get(key)))


def journal_events(app: GamedayApp) -> tuple[ev.Event, ...]:
    """What the app's session wrote to its journal so far."""
    runner = app.runner
    assert runner is not None and runner.journal_path is not None
    return read_journal(runner.journal_path).events


def text_of(widget: Static, width: int = 120) -> str:
    """What a Static shows, as plain text."""
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(widget.content)
    return console.export_text()
