"""Whole headless sessions against the real lab: its Prometheus, its hosts over SSH.

Each test runs the real `gameday` command in a subprocess, as a CI pipeline would, and then
looks at the hosts themselves (iptables in the host's namespace, stress processes) and at the
journal the session wrote.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from gameday.core.session import events as ev
from gameday.core.session.journal import read_journal
from gameday.lab import LabInfo
from tests.lab.support import (
    ERROR_RATE,
    GAMEDAY,
    chains,
    headless_run,
    long_partition,
    partition_abort,
    wait_until,
)

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.usefixtures("rates_in_prometheus")]


def _scenario(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(body)
    return path


def _run(
    lab: LabInfo, scenario: Path, journals: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        headless_run(scenario, lab.inventory, journals, *extra),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def _journal(journals: Path) -> list[ev.Event]:
    (path,) = journals.glob("*.jsonl")
    return list(read_journal(path).events)


def test_a_partition_trips_the_error_rate_abort_and_is_reverted(
    lab: LabInfo, tmp_path: Path
) -> None:
    scenario = _scenario(tmp_path, "partition", partition_abort("lab-partition-abort"))
    spared_logs = {h.name: h.sshd_log.stat().st_size for h in lab.hosts if h.name != "lab-1"}
    started = time.monotonic()
    result = _run(lab, scenario, tmp_path / "journals")
    elapsed = time.monotonic() - started
    assert result.returncode == 3, result.stdout + result.stderr
    for name, size in spared_logs.items():  # spared hosts were never even connected to
        with lab.host(name).sshd_log.open("rb") as log:
            log.seek(size)
            assert b"Connection from" not in log.read(), f"{name} was contacted"
    events = _journal(tmp_path / "journals")
    aborts = [e for e in events if isinstance(e, ev.AbortTriggered)]
    assert aborts and "error_rate above 10" in aborts[0].rule
    reverts = [e for e in events if isinstance(e, ev.FaultReverted)]
    assert reverts and all(r.verified for r in reverts)
    assert elapsed < 60, "the abort must cut the 90 s fault short"
    assert "GAMEDAY" not in chains(lab, "lab-1")


def test_a_mild_scenario_holds_and_exits_zero(lab: LabInfo, tmp_path: Path) -> None:
    scenario = _scenario(
        tmp_path,
        "mild",
        f"""
id: lab-mild-cpu
title: A light CPU load changes nothing
hypothesis: Error rate stays under 5% with a 30% CPU load on one node.
targets: {{select: {{hosts: [lab-2]}}}}
steady_state:
  interval: 1s
  probes:
    - name: error_rate
      prometheus: "{ERROR_RATE}"
      unit: "%"
      max: 5
faults:
  - kind: cpu_stress
    workers: 1
    load: 30
schedule: {{duration: 6s, cooldown: 1s}}
abort_when:
  - {{probe: error_rate, above: 20, for: 3}}
""",
    )
    result = _run(lab, scenario, tmp_path / "journals", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines[-2]["type"] == "verdict_reached" and lines[-2]["verdict"] == "held"
    stress = subprocess.run(
        ["pgrep", "-f", "stress-ng"], capture_output=True, text=True, check=False
    )
    pids = [p for p in stress.stdout.split() if _in_netns(int(p), lab.host("lab-2").netns)]
    assert pids == []


def test_gameday_abort_from_another_terminal_reverts_every_host(
    lab: LabInfo, tmp_path: Path
) -> None:
    scenario = _scenario(
        tmp_path,
        "long",
        long_partition("lab-long-partition", "A long partition that someone stops by hand"),
    )
    journals = tmp_path / "journals"
    console = subprocess.Popen(
        headless_run(scenario, lab.inventory, journals),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until(
            lambda: sum(isinstance(e, ev.FaultInjected) for e in _journal_or_empty(journals)) == 2,
            60,
            "both faults injected",
        )
        assert "GAMEDAY" in chains(lab, "lab-1") and "GAMEDAY" in chains(lab, "lab-3")
        started = time.monotonic()
        abort = subprocess.run(
            [*GAMEDAY, "abort", "--journal-dir", str(journals)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        latency = time.monotonic() - started
        assert abort.returncode == 0, abort.stdout + abort.stderr
        assert "lab-1: clean" in abort.stdout and "lab-3: clean" in abort.stdout
        assert console.wait(30) == 3
    finally:
        if console.poll() is None:
            console.kill()
            console.wait(10)
    assert latency < 5.0
    assert "GAMEDAY" not in chains(lab, "lab-1") and "GAMEDAY" not in chains(lab, "lab-3")


def _journal_or_empty(journals: Path) -> list[ev.Event]:
    found = list(journals.glob("*.jsonl")) if journals.exists() else []
    return list(read_journal(found[0]).events) if found else []


def _in_netns(pid: int, netns: str) -> bool:
    try:
        mine = os.readlink(f"/proc/{pid}/ns/net")
        theirs = os.stat(f"/run/netns/{netns}").st_ino
    except OSError:
        return False
    return mine == f"net:[{theirs}]"


def test_a_host_cut_off_from_the_console_reverts_by_itself_and_recover_confirms(
    lab: LabInfo, tmp_path: Path
) -> None:
    scenario = _scenario(
        tmp_path,
        "fill",
        f"""
id: lab-fill-cut
title: The console loses its network to the host mid-fault
hypothesis: n/a
targets: {{select: {{hosts: [lab-2]}}}}
steady_state:
  interval: 1s
  probes:
    - {{name: error_rate, prometheus: "{ERROR_RATE}", unit: "%", max: 100}}
faults:
  - {{kind: disk_fill, path: /var/tmp, size: 8M, keep_free: 1M}}
schedule: {{duration: 5m}}
""",
    )
    journals = tmp_path / "journals"
    host = lab.host("lab-2")
    console = subprocess.Popen(
        headless_run(scenario, lab.inventory, journals),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    cut = ["iptables", "-I", "INPUT", "-p", "tcp", "--dport", "22", "-j", "DROP"]
    try:
        wait_until(
            lambda: any(isinstance(e, ev.FaultInjected) for e in _journal_or_empty(journals)),
            60,
            "the fault injected",
        )
        assert _fill_files(host)
        subprocess.run(host.enter(*cut), check=True, timeout=10)
        started = time.monotonic()
        wait_until(lambda: not _fill_files(host), 30, "the fill files gone")
        reverted_in = time.monotonic() - started
    finally:
        subprocess.run(host.enter(*["iptables", "-D", *cut[2:]]), check=False, timeout=10)
        console.kill()  # the console never got its answer; a crash is the harshest ending
        console.wait(10)
    assert reverted_in < 3.0 + 5.0, f"lease is 3 s; the host took {reverted_in:.1f} s"
    (journal,) = journals.glob("*.jsonl")
    recover = subprocess.run(
        [*GAMEDAY, "recover", str(journal)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert recover.returncode == 0, recover.stdout + recover.stderr
    assert "reverted, verified" in recover.stdout
    last = read_journal(journal).events[-1]
    assert isinstance(last, ev.FaultReverted) and last.by in ("recover", "lease") and last.verified


def _fill_files(host: object) -> list[str]:
    listing = subprocess.run(
        host.enter("sh", "-c", "ls -a /var/tmp"),  # type: ignore[attr-defined]
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return [name for name in listing.stdout.split() if name.startswith(".gameday-fill-")]
