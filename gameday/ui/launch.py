"""Run the console in the terminal, and make sure no fault outlives it.

The quit key already pulls the kill switch and waits; this is the backstop for every other
way out of the app (a crash in a screen, the terminal closing): if a session is still running
when the app has stopped, the kill switch is pulled here and its reverts are waited for.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from gameday.core.confirmation import DEFAULT_TYPED_OVER
from gameday.exit_codes import ExitCode
from gameday.ui.app import QUIT_WAIT, make_app

if TYPE_CHECKING:
    from gameday.ui.backend import Backend
    from gameday.ui.runner import SessionRunner


SWITCH_INTERVAL = 0.0005
"""Seconds a thread may hold the interpreter while another waits for it (Python's default is
0.005). The screen renders in long stretches of Python; at the default, every SSH answer of
the kill switch (a hop through two or three threads) waited behind it: 6 lab hosts under load
took ~200 ms from the key to every host reported, against ~70 ms from a script; ~120 ms at
this interval."""


def run_console(backend: Backend, *, confirm_over: int = DEFAULT_TYPED_OVER) -> int:
    sys.setswitchinterval(SWITCH_INTERVAL)
    app = make_app(backend, confirm_over=confirm_over)
    try:
        code = app.run()
    finally:
        reverted = _revert_if_running(app.runner)
    if not reverted:
        return ExitCode.REVERT_UNCONFIRMED
    return int(code if code is not None else ExitCode.OK)


def _revert_if_running(runner: SessionRunner | None) -> bool:
    """Pull the kill switch of a session still running; False when it did not end in time."""
    if runner is None or not runner.running:
        return True
    print("gameday: the console stopped during a session: reverting every host…", file=sys.stderr)
    runner.kill()
    if runner.wait_ended(QUIT_WAIT):
        return True
    print("gameday: the session did not end in time; run gameday recover", file=sys.stderr)
    return False
