"""Headless sessions for CI pipelines: print the timeline as it happens, take signals as the
kill switch, and leave a control file so `gameday abort` can reach the session."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TextIO

from gameday.core.session import events as ev
from gameday.core.session.control import ControlFile
from gameday.core.session.timeline import timeline_line
from gameday.engine.session import Session, SessionResult
from gameday.exit_codes import ExitCode

KILL_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1)
"""SIGUSR1 is what `gameday abort` sends."""


class TimelinePrinter:
    """Prints each event as one line (or as one JSON object per line with `as_json`)."""

    def __init__(self, out: TextIO = sys.stdout, *, as_json: bool = False) -> None:
        self._out = out
        self._as_json = as_json
        self._started: float | None = None
        self._lock = threading.Lock()

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.SessionStarted):
            self._started = event.ts
        if self._as_json:
            line: str | None = json.dumps(ev.to_json(event), ensure_ascii=False)
        else:
            line = timeline_line(event, self._started)
        if line is None:
            return
        with self._lock:
            self._out.write(line + "\n")
            self._out.flush()


def journal_is_running(journal: Path) -> bool:
    """True when the journal's control file names a live gameday process writing it.

    What `gameday sessions` and the console's history give the core's `list_sessions`.
    """
    control = ControlFile.read(ControlFile.for_journal(journal))
    return control is not None and control.session_id == journal.stem and control.is_running()


@contextmanager
def signals_pull_kill_switch(session: Session) -> Iterator[None]:
    """SIGINT, SIGTERM, SIGHUP and SIGUSR1 (`gameday abort`) pull the kill switch (in a thread:
    a handler must not block). A second SIGINT or SIGTERM exits at once, status 3: whoever
    insists is not waiting for the reverts, and the hosts' leases finish the job."""
    pulled = threading.Event()

    def handler(signum: int, _frame: FrameType | None) -> None:
        sig = signal.Signals(signum)
        name = "gameday abort" if sig == signal.SIGUSR1 else f"signal:{sig.name}"
        if sig in (signal.SIGINT, signal.SIGTERM):
            if pulled.is_set():
                os._exit(ExitCode.ABORTED)
            pulled.set()
        threading.Thread(
            target=session.kill_switch, args=(name,), name="kill-switch", daemon=True
        ).start()

    previous = {sig: signal.signal(sig, handler) for sig in KILL_SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_in_thread(session: Session, poll: float = 0.2) -> SessionResult:
    """Run the session in a worker so the main thread stays free to receive signals."""
    result: list[SessionResult] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(session.run())
        except BaseException as exc:  # re-raised in the main thread below
            failure.append(exc)

    worker = threading.Thread(target=target, name="session", daemon=False)
    worker.start()
    while worker.is_alive():
        worker.join(poll)
    if failure:
        raise failure[0]
    return result[0]


def confirm(prompt: str, ask: Callable[[str], str] = input) -> bool:
    """Ask on the terminal; anything but y/yes is a no."""
    try:
        return ask(prompt).strip().lower() in ("y", "yes")
    except EOFError:
        return False
