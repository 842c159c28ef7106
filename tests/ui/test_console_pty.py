"""The real console in a real pseudo-terminal: when the terminal goes away mid-session (the
pty's master is closed, as when an SSH connection or a tmux pane dies), the kernel sends
SIGHUP; the console pulls the kill switch, journals the outcome and is gone within 10 s."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gameday.core.session import events as ev
from gameday.core.session.journal import read_journal

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a Linux pty")


class Console:
    """`gameday demo` on the slave side of a pty; this side reads what it draws."""

    def __init__(self, journals: Path, speed: float = 5) -> None:
        argv = [sys.executable, "-m", "gameday.cli", "demo", "--speed", f"{speed:g}"]
        argv += ["--journal-dir", str(journals)]
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
        self.journals = journals
        self.pid, self.master = pty.fork()
        if self.pid == 0:  # the child: becomes the console
            os.execve(sys.executable, argv, env)
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.screen = b""
        self.status: int | None = None

    def pump(self, seconds: float) -> None:
        """Read what the console draws for `seconds` (it must never block on its output)."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    self.screen += os.read(self.master, 65536)
                except OSError:
                    return

    def until(self, condition: Callable[[], bool], limit: float, what: str) -> None:
        end = time.monotonic() + limit
        while time.monotonic() < end:
            if condition():
                return
            self.pump(0.1)
        pytest.fail(f"{what}: not within {limit:g}s")

    def start(self, downs: int = 0) -> None:
        """Pick the scenario `downs` rows below the first, start it and wait for a fault."""
        self.until(lambda: b"Hypothesis" in self.screen, 30, "a plan on the plan screen")
        for _ in range(downs):
            os.write(self.master, b"\x1b[B")
            self.pump(0.3)
        for _ in range(20):  # start is refused while the plan is still being computed; `y`
            os.write(self.master, b"s")  # answers the confirmation once it is shown
            self.pump(0.5)
            os.write(self.master, b"y")
            self.pump(0.5)
            if self.events():
                break
        self.until(
            lambda: any(isinstance(e, ev.FaultInjected) for e in self.events()),
            60,
            "a fault injected",
        )

    def events(self) -> list[ev.Event]:
        found = sorted(self.journals.glob("*.jsonl")) if self.journals.exists() else []
        return list(read_journal(found[0]).events) if found else []

    def exited(self) -> bool:
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
        return self.status is not None

    def kill(self) -> None:
        if not self.exited():
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)


def test_closing_the_terminal_mid_session_ends_the_console_within_10_s(tmp_path: Path) -> None:
    console = Console(tmp_path / "journals")
    try:
        console.start()
        os.close(console.master)  # the terminal is gone: the kernel hangs up the console
        closed = time.monotonic()
        end = closed + 15
        while not console.exited() and time.monotonic() < end:
            time.sleep(0.05)
        gone_in = time.monotonic() - closed
    finally:
        console.kill()
    print(f"terminal closed mid-session: console gone after {gone_in:.2f}s")
    assert gone_in < 10.0, f"the console outlived its terminal by {gone_in:.1f}s"
    events = console.events()
    pulled = [e for e in events if isinstance(e, ev.KillSwitchPulled)]
    assert [e.source for e in pulled] == ["signal:SIGHUP"]
    assert isinstance(events[-1], ev.SessionEnded)
    assert all(e.verified for e in events if isinstance(e, ev.FaultReverted))
    verdict = next(e for e in events if isinstance(e, ev.VerdictReached))
    assert verdict.verdict == "aborted"
    assert console.status is not None and os.waitstatus_to_exitcode(console.status) == 3


def _abort(journals: Path) -> tuple[int, str]:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "gameday.cli", "abort", "--journal-dir", str(journals)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def test_gameday_abort_reaches_the_demo_console_which_stays_open(tmp_path: Path) -> None:
    journals = tmp_path / "journals"
    console = Console(journals, speed=1)  # real time: the abort arrives well within the wave
    try:
        console.start(downs=2)  # web-cpu: holds, so only the abort ends it early
        session = console.events()[0]
        assert isinstance(session, ev.SessionStarted) and session.scenario_id == "demo-web-cpu"
        assert list(journals.glob("*.pid")), "the demo leaves a control file, as every console"
        status, out = _abort(journals)
        assert status == 0, out
        assert "web-" in out and ": clean" in out and "No route" not in out
        console.until(
            lambda: any(isinstance(e, ev.SessionEnded) for e in console.events()),
            30,
            "the session ended",
        )
        console.pump(1.0)
        assert not console.exited(), "after gameday abort the console stays open on the outcome"
        pulled = [e for e in console.events() if isinstance(e, ev.KillSwitchPulled)]
        assert [e.source for e in pulled] == ["gameday abort"]
        assert not list(journals.glob("*.pid")), "the control file goes with the session"
        # no console any more: abort says so and never connects anywhere for a demo
        status, out = _abort(journals)
        assert status == 0 and "no running demo console" in out and "nothing to revert" in out
    finally:
        console.kill()
