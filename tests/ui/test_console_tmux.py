"""The real `gameday demo` in a real terminal (tmux), driven as a facilitator would: a fast key
burst to start, the kill switch during the fault, then quit. What is asserted is what the
screen shows (`tmux capture-pane`), at a projector's size and at a laptop's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

WAIT = 30.0
"""Upper bound of every wait on the screen, in seconds."""


class Terminal:
    """One tmux session running one command; killed on close."""

    def __init__(self, name: str, width: int, height: int, argv: list[str]) -> None:
        self.name = name
        command = " ".join(_quote(a) for a in argv) + "; echo EXITED $?; sleep 30"
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), command],
            check=True,
            timeout=10,
        )

    def keys(self, *keys: str) -> None:
        """Send keys in one tmux call: they reach the console as one burst."""
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True, timeout=10)

    def screen(self) -> str:
        out = subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
        return out.stdout

    def wait_for(self, *texts: str) -> str:
        """The screen once it shows every text; fails after WAIT seconds with what it showed."""
        deadline = time.monotonic() + WAIT
        shown = ""
        while time.monotonic() < deadline:
            shown = self.screen()
            if all(text in shown for text in texts):
                return shown
            time.sleep(0.1)
        raise AssertionError(f"never saw {texts!r}; the screen was:\n{shown}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False, timeout=10)


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


@pytest.fixture
def terminal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Terminal]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    width, height = request.param
    argv = [
        sys.executable, "-m", "gameday.cli", "demo", "--speed", "4",
        "--journal-dir", str(tmp_path / "journals"),
    ]  # fmt: skip
    term = Terminal(f"gameday-test-{os.getpid()}-{width}", width, height, argv)
    try:
        yield term
    finally:
        term.close()


@pytest.mark.parametrize("terminal", [(160, 48), (80, 24)], indirect=True, ids=["160x48", "80x24"])
def test_a_burst_starts_the_scenario_on_screen_and_the_kill_switch_ends_it(
    terminal: Terminal, tmp_path: Path
) -> None:
    terminal.wait_for("demo-api-partition", "Blast radius")
    terminal.keys("Down", "Down", "s")  # a quick typist: web-cpu is the third scenario
    dialog = terminal.wait_for("Start demo-web-cpu on 2 hosts?")
    assert "Start [y]" in dialog and "No [n]" in dialog, "the dialog's keys are shown"
    terminal.keys("y")
    running = terminal.wait_for("MONITOR", "injected")
    assert "wave 1/2" in running and " left" in running
    terminal.keys("C-k")
    ended = terminal.wait_for("KILL SWITCH: done in", "verdict ABORTED")
    assert "clean" in ended
    assert "not run" in ended, "the second wave's row must not say planned"
    assert "HOLDING" not in ended
    terminal.keys("C-q")
    assert "EXITED 0" in terminal.wait_for("EXITED")
    (journal,) = (tmp_path / "journals").glob("*.jsonl")
    assert "kill_switch_done" in journal.read_text()
