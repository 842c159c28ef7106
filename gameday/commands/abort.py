"""`gameday abort [JOURNAL]`: pull the kill switch of a running session from another terminal.

The running console — headless, on a real inventory, or the demo — receives SIGUSR1, which
takes the same path as its kill switch key (the console stays open on the outcome); this
command then waits for the journal to show the outcome and prints each host's. When the
console is gone, it says so and what it will do, then reverts from the journal instead (as
`gameday recover`) — except for a demo journal, whose hosts are simulated: nothing is
connected to for it, ever.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from gameday.core.session import events as ev
from gameday.core.session.control import ControlFile, session_mode
from gameday.core.session.journal import iter_journals, read_journal
from gameday.core.session.paths import default_journal_dir
from gameday.core.session.state import replay
from gameday.errors import InputError
from gameday.exit_codes import ExitCode

ABORT_SIGNAL = signal.SIGUSR1
"""Every console takes it as its kill switch (see gameday.ui.exit_guard, gameday.headless)."""


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
    from gameday.commands.recover import recover_and_report

    journal = _pick_journal(args.journal, args.journal_dir)
    control = ControlFile.read(ControlFile.for_journal(journal))
    if control is None or not control.is_running():
        mode = session_mode(journal)
        if mode == "demo" or (control is not None and control.mode == "demo"):
            print(f"{journal}: no running demo console; a demo touches no host: nothing to revert")
            return ExitCode.OK
        print(f"{journal}: no running console. {_what_recover_will_do(journal)}", flush=True)
        return recover_and_report(journal, None, False)
    seen = _last_seq(journal)
    started = time.monotonic()
    os.kill(control.pid, ABORT_SIGNAL)
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


def _what_recover_will_do(journal: Path) -> str:
    open_faults = replay(read_journal(journal).events).open_faults()
    if not open_faults:
        return "Its journal shows every fault verified reverted: nothing to do."
    where = ", ".join(f"{f.host}/{f.fault_id}" for f in open_faults)
    return (
        f"Reverting over SSH what its journal does not show as verified reverted ({where}), "
        "as `gameday recover` does:"
    )


def _journal_dirs(directory: str | None) -> list[Path]:
    if directory:
        return [Path(directory)]
    from gameday.app.demo import default_demo_journal_dir

    return [default_journal_dir(), default_demo_journal_dir()]


def _pick_journal(given: str | None, directory: str | None) -> Path:
    if given:
        return Path(given)
    folders = _journal_dirs(directory)
    journals = [j for folder in folders for j in iter_journals(folder)]
    for journal in journals:
        control = ControlFile.read(ControlFile.for_journal(journal))
        if control is not None and control.is_running():
            return journal
    real = list(iter_journals(folders[0]))
    if real:
        return real[0]
    raise InputError(
        str(folders[0]), 0, "", "no session journal here; name one: gameday abort JOURNAL"
    )


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
