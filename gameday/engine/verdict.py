"""The verdict of a session and its exit status, from what the session saw.

    revert unconfirmed (4) > aborted (3) > deviated (1) > held (0)

A fault not confirmed gone, or a required rollback step that failed, outranks everything: a
human must look at a host before anything else is worth reading.
"""

from __future__ import annotations

from collections.abc import Sequence

from gameday.core.session import events as ev
from gameday.core.session.state import SessionState
from gameday.engine.ladder import LadderResult
from gameday.exit_codes import ExitCode

EXIT_CODES: dict[ev.Verdict, ExitCode] = {
    "held": ExitCode.OK,
    "deviated": ExitCode.DEVIATED,
    "aborted": ExitCode.ABORTED,
    "revert_unconfirmed": ExitCode.REVERT_UNCONFIRMED,
}


def verdict_of(
    state: SessionState,
    *,
    deviated: bool,
    rollback_failed: Sequence[str] = (),
    ladder: LadderResult | None = None,
) -> tuple[ev.Verdict, str]:
    """The verdict and the one sentence that says why."""
    unconfirmed = [f"{f.host}/{f.fault_id}" for f in state.open_faults()]
    if unconfirmed:
        return "revert_unconfirmed", "revert not confirmed on " + ", ".join(unconfirmed)
    if rollback_failed:
        return "revert_unconfirmed", "required rollback step failed: " + "; ".join(rollback_failed)
    if state.kill_switch:
        return "aborted", f"kill switch ({state.kill_switch})"
    if state.aborted:
        return "aborted", state.aborted
    if deviated:
        if ladder is not None and ladder.broke:
            return "deviated", ladder.verdict_reason()
        return "deviated", "steady state left its thresholds: " + _breach_summary(state)
    if ladder is not None:
        return "held", ladder.verdict_reason()
    return "held", "steady state held for the whole experiment"


def _breach_summary(state: SessionState) -> str:
    names = [n for n, count in state.breaches.items() if count] or ["after the experiment"]
    return ", ".join(names)
