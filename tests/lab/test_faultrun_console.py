"""The real console, `gameday run --headless`, killed with SIGKILL mid-fault: every lab host
reverts by itself within the lease window, and `gameday sweep` then finds every host clean."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gameday.lab import LabHost, LabInfo

pytestmark = [pytest.mark.lab, pytest.mark.slow]

GAMEDAY = [sys.executable, "-m", "gameday.cli"]
LEASE = 1.5
MARGIN = 1.0


def _fill_present(host: LabHost) -> bool:
    result = subprocess.run(
        host.enter("sh", "-c", "ls -A /var/tmp | grep -q '^.gameday-fill-'"),
        capture_output=True,
        timeout=20,
        check=False,
    )
    return result.returncode == 0


def test_console_sigkilled_mid_fault_every_host_reverts_within_the_lease(
    lab: LabInfo, tmp_path: Path
) -> None:
    names = [h.name for h in lab.hosts]
    scenario = tmp_path / "fill-all.yaml"
    scenario.write_text(
        f"""
id: crash-drill
title: The console dies mid-fault
hypothesis: Every host gets its disk back within the lease, with nobody at the console.
targets: {{select: {{hosts: [{", ".join(names)}]}}}}
steady_state:
  interval: 1s
  probes:
    - {{name: console_load, system: load, max: 1000}}
faults:
  - {{kind: disk_fill, path: /var/tmp, size: 4M, keep_free: 1M}}
schedule: {{warmup: 1s, duration: 5m, cooldown: 1s}}
"""
    )
    command = [
        *GAMEDAY, "run", str(scenario), "-i", str(lab.inventory), "--headless", "--yes",
        "--lease", str(LEASE), "--journal-dir", str(tmp_path / "journals"),
    ]  # fmt: skip
    console = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not all(_fill_present(h) for h in lab.hosts):
            assert console.poll() is None, f"the console ended early: {console.stderr.read()}"  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the faults were never all injected"
            time.sleep(0.2)
        os.kill(console.pid, signal.SIGKILL)
        console.wait(timeout=10)
        killed = time.monotonic()
        while any(_fill_present(h) for h in lab.hosts) and time.monotonic() - killed < 15:
            time.sleep(0.05)
        waited = time.monotonic() - killed
        left = [h.name for h in lab.hosts if _fill_present(h)]
        assert not left, f"faults left behind on {left}"
        assert waited <= LEASE + MARGIN, f"the last host reverted {waited:.2f}s after the kill"
        print(f"lab: gameday run SIGKILLed, all {len(names)} hosts reverted within {waited:.2f}s")
    finally:
        if console.poll() is None:
            os.kill(console.pid, signal.SIGKILL)
            console.wait(timeout=10)
        swept = subprocess.run(
            [*GAMEDAY, "sweep", "-i", str(lab.inventory)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert swept.returncode == 0, swept.stdout + swept.stderr
    assert all(f"{name}: clean" in swept.stdout for name in names), swept.stdout
