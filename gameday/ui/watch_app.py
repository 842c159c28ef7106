"""The app of `gameday watch`: one read-only screen following a journal (`WatchScreen`).

It has no kill switch, no backend and no connection: only the journal file. The same app runs
in a terminal and, under `gameday watch --web`, once per browser tab.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from gameday.ui.screens.watch import POLL, WatchScreen, WatchTarget


class WatchApp(App[int]):
    TITLE = "gameday watch"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit")]

    def __init__(
        self, target: WatchTarget, *, now: Callable[[], float] = time.time, poll: float = POLL
    ) -> None:
        super().__init__()
        self.target = target
        self.now = now
        self.poll = poll
        self.sub_title = target.label

    def on_mount(self) -> None:
        self.push_screen(WatchScreen(self.target, now=self.now, poll=self.poll))


def make_watch_app(
    target: WatchTarget, *, now: Callable[[], float] = time.time, poll: float = POLL
) -> WatchApp:
    """The one factory of the watch view, for the CLI and the tests alike."""
    return WatchApp(target, now=now, poll=poll)
