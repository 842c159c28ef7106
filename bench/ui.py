"""The console's figures: first frame, key-to-screen, CPU; and a 4-hour session on a fast clock.

    first_frame_ms        `gameday demo` started in a real terminal (tmux, 160x48) until its
                          first frame (the header's title) is on the screen; median of 5 starts
    scenarios_shown_ms    the same starts, until the scenario list is on the screen
    idle_cpu_pct          the console open on its plan screen, nothing happening (10 s)
    session_cpu_pct       a session with 32 hosts faulted and 20 probes sampled each second
    key_to_screen_*_ms    in that session, 200 letters typed into the note field, 20 a second:
                          from the key to the screen having taken it and repainted
    long_session.*        see bench.long_session

Each figure comes from a fresh process, so one does not warm the next.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GAMEDAY = Path(sys.executable).with_name("gameday")
FIRST = "gameday —"
"""The header's title: the first frame is on the screen."""
SHOWN = "demo-web-cpu"
"""Text of the plan screen's scenario list: the console has read its scenarios."""


def first_frame(starts: int = 5) -> dict[str, float]:
    if shutil.which("tmux") is None or not GAMEDAY.exists():
        return _child("first_frame", str(time.time()))
    starts_ms = [_one_start() for _ in range(starts)]
    first = [f for f, _ in starts_ms]
    shown = [s for _, s in starts_ms]
    return {
        "first_frame_ms": round(statistics.median(first), 1),
        "first_frame_max_ms": round(max(first), 1),
        "scenarios_shown_ms": round(statistics.median(shown), 1),
    }


def _one_start() -> tuple[float, float]:
    """Milliseconds from starting `gameday demo` in a 160x48 tmux pane to its first frame, and
    to its scenario list."""
    name = f"gdbench-ui-{os.getpid()}"
    journals = tempfile.mkdtemp(prefix="gdbench-ui-")
    command = f"{GAMEDAY} demo --journal-dir {journals}"
    started = time.perf_counter()
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", "160", "-y", "48", command], check=True
    )
    try:
        deadline = started + 30
        first: float | None = None
        while time.perf_counter() < deadline:
            pane = subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True
            ).stdout
            now = (time.perf_counter() - started) * 1000
            if first is None and FIRST in pane:
                first = now
            if SHOWN in pane:
                return (first if first is not None else now), now
            time.sleep(0.005)
        raise TimeoutError("the console did not show its scenarios within 30 s")
    finally:
        pane = subprocess.run(
            ["tmux", "display-message", "-p", "-t", name, "#{pane_pid}"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, check=False)
        if pane.isdigit():
            _end(int(pane))
        shutil.rmtree(journals, ignore_errors=True)


def _end(pid: int, grace: float = 3.0) -> None:
    """Make sure the console we started is gone: closing its terminal should end it, but a
    console on its plan screen has been seen to hang on exit once its terminal is gone."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _child(*args: str) -> dict[str, Any]:
    return _run([sys.executable, "-m", "bench.ui_child", *args], 300)


def _run(argv: list[str], timeout: float) -> dict[str, Any]:
    """The JSON object a measuring process printed; `{"error": …}` (its last words) when it
    failed, so one failed figure does not lose the others."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"{argv[-1]}: no result within {timeout:g}s"}
    if done.returncode != 0 or not done.stdout.strip():
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"{argv[-1]}: exit status {done.returncode}: {tail}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def console() -> dict[str, float]:
    figures = first_frame()
    figures.update(_child("idle"))
    figures.update(_child("busy"))
    return figures


def long_session() -> dict[str, float]:
    return _child_module("bench.long_session")


def _child_module(module: str) -> dict[str, Any]:
    return _run([sys.executable, "-m", module], 900)


UI_BENCHMARKS = {"ui": console, "long_session": long_session}
