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


def run_console(backend: Backend, *, confirm_over: int = DEFAULT_TYPED_OVER) -> int:
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
