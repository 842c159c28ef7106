"""`gameday check` on the real lab: preflight only over SSH, nothing left on any host.

Each host's state (firewall, qdiscs, gameday's state directory and its history, /tmp, stress
processes, the shop service) is read from outside the SSH path before and after, and must be
the same; no journal is written.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from gameday.lab import LabInfo
from tests.lab.support import ERROR_RATE, GAMEDAY
from tests.lab.test_fault_kinds_lab import _inside, snapshot

pytestmark = [pytest.mark.lab, pytest.mark.usefixtures("rates_in_prometheus")]


def _scenario(tmp_path: Path, faults: str) -> Path:
    path = tmp_path / "rehearsal.yaml"
    path.write_text(
        f"""
id: lab-rehearsal
title: The day before
targets: {{select: {{hosts: [lab-1, lab-2]}}}}
steady_state:
  interval: 1s
  probes:
    - name: error_rate
      prometheus: "{ERROR_RATE}"
      unit: "%"
      max: 100
faults:
{faults}
schedule: {{duration: 30s}}
"""
    )
    return path


def _check(lab: LabInfo, scenario: Path, state: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_STATE_HOME": str(state)}
    return subprocess.run(
        [*GAMEDAY, "check", str(scenario), "-i", str(lab.inventory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def _history(lab: LabInfo) -> dict[str, str]:
    return {
        h.name: _inside(h, "cat /var/lib/gameday/history 2>/dev/null || true").stdout
        for h in lab.hosts
    }


def test_check_passes_and_leaves_no_fault_and_no_record(lab: LabInfo, tmp_path: Path) -> None:
    scenario = _scenario(
        tmp_path,
        "  - {kind: network_partition, direction: ingress, ports: [8080]}\n"
        "  - {kind: cpu_stress, workers: 1, load: 30}",
    )
    before = {h.name: snapshot(h) for h in lab.hosts}
    history = _history(lab)
    result = _check(lab, scenario, tmp_path / "state")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for host in ("lab-1", "lab-2"):
        assert f"pass  {host}" in out and "network_partition capability" in out
    assert "pass  probe error_rate" in out and "baseline" in out
    assert "all 5 checks passed; nothing injected" in out
    assert {h.name: snapshot(h) for h in lab.hosts} == before
    assert _history(lab) == history, "a revert record was written"
    assert not list((tmp_path / "state").rglob("*.jsonl")), "a session was journaled"


def test_check_says_which_host_cannot_and_why_and_exits_2(lab: LabInfo, tmp_path: Path) -> None:
    # This kernel has no netem: the latency fault's capability check must fail on each host.
    scenario = _scenario(tmp_path, "  - {kind: network_latency, delay: 100ms}")
    before = {h.name: snapshot(h) for h in lab.hosts}
    result = _check(lab, scenario, tmp_path / "state")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "FAIL  lab-1" in result.stdout and "netem" in result.stdout
    assert "checks failed; nothing injected" in result.stderr
    assert {h.name: snapshot(h) for h in lab.hosts} == before
