"""Headless runs: the first SIGTERM pulls the kill switch; a second one exits at once (status
3), even while the kill switch is still waiting on a host."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

CHILD = """
import sys, threading, time
from gameday.app.headless import signals_pull_kill_switch

class StuckSession:
    def kill_switch(self, source, reason=""):
        print("pulled " + source, flush=True)
        threading.Event().wait(60)  # a host that never answers

with signals_pull_kill_switch(StuckSession()):
    print("ready", flush=True)
    time.sleep(60)
sys.exit(0)
"""


def test_a_second_sigterm_exits_at_once_with_status_3() -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        child.send_signal(signal.SIGTERM)
        assert child.stdout.readline().strip() == "pulled signal:SIGTERM"
        started = time.monotonic()
        child.send_signal(signal.SIGTERM)
        status = child.wait(10)
        left_in = time.monotonic() - started
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
    assert status == 3
    assert left_in < 2.0
