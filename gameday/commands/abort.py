"""`gameday abort [JOURNAL]`: pull the kill switch of a running session from another terminal.

The running console receives SIGTERM, which takes the same path as its kill switch key; this
command then waits for the journal to show the outcome and prints each host's. When the
console is gone, it reverts from the journal instead (as `gameday recover`).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from gameday.core import events as ev
from gameday.core.journal import default_journal_dir, iter_journals, read_journal
from gameday.core.state import replay
from gameday.errors import InputError
from gameday.exit_codes import ExitCode


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "abort",
        help="pull the kill switch of a running session (or recover a dead one)",
        description=(
            "Pull the kill switch of the running session that writes JOURNAL (default: the "
            "newest running session in the journal directory), wait until every host is "
            "reverted and verified, and print each host's outcome. If that session's console "
            "is gone, revert from its journal instead. Exit 0 when all hosts are clean, "
            "4 when a revert could not be confirmed."
        ),
    )
    parser.add_argument("journal", nargs="?", metavar="JOURNAL")
    parser.add_argument("--journal-dir", metavar="DIR")
    parser.add_argument(
        "--wait", type=float, default=120.0, metavar="SECONDS", help="longest wait for the outcome"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gameday.app.headless import ControlFile
    from gameday.commands.recover import recover_and_report

    journal = _pick_journal(args.journal, args.journal_dir)
    control = ControlFile.read(ControlFile.for_journal(journal))
    if control is None or not control.is_running():
        print(f"{journal}: no running console; reverting from the journal")
        return recover_and_report(journal, None, False)
    seen = _last_seq(journal)
    started = time.monotonic()
    os.kill(control.pid, signal.SIGTERM)
    done = _wait_for_outcome(journal, seen, args.wait)
    if done is None:
        print(f"no answer from the session within {args.wait:g}s; see {journal}", file=sys.stderr)
        return ExitCode.REVERT_UNCONFIRMED
    waited = time.monotonic() - started
    for host, outcome in sorted(done.hosts.items()):
        print(f"{host}: {outcome}")
    print(f"kill switch: {done.latency * 1000:.0f} ms in the console, {waited:.2f}s from here")
    clean = all(outcome == "clean" for outcome in done.hosts.values())
    return ExitCode.OK if clean else ExitCode.REVERT_UNCONFIRMED


def _pick_journal(given: str | None, directory: str | None) -> Path:
    from gameday.app.headless import ControlFile

    if given:
        return Path(given)
    folder = Path(directory) if directory else default_journal_dir()
    journals = list(iter_journals(folder))
    for journal in journals:
        control = ControlFile.read(ControlFile.for_journal(journal))
        if control is not None and control.is_running():
            return journal
    if journals:
        return journals[0]
    raise InputError(str(folder), 0, "", "no session journal here; name one: gameday abort JOURNAL")


def _last_seq(journal: Path) -> int:
    events = read_journal(journal).events
    return events[-1].seq if events else 0


def _wait_for_outcome(journal: Path, after: int, limit: float) -> ev.KillSwitchDone | None:
    """The kill switch's report written after `after`; at the session's end without one (it
    was pulled before), each host's outcome as the journal's state tells."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        events = read_journal(journal).events
        for event in events:
            if event.seq > after and isinstance(event, ev.KillSwitchDone):
                return event
        if any(isinstance(e, ev.SessionEnded) for e in events):
            state = replay(events)
            hosts = {f.host: ev.RevertOutcome.UNCONFIRMED for f in state.open_faults()}
            return ev.KillSwitchDone(latency=0.0, hosts=hosts)
        time.sleep(0.02)
    return None
