"""The kill switch over a real lab fleet: from the pull to every host verified clean.

Brings up its own lab (`gdbench`, loopback ports 9590/9591), connects to every host over SSH
with verified host keys, arms and injects a real bandwidth fault (tc tbf) on each, then times
`revert_everywhere` — the same path the engine's kill switch takes — and takes the lab down.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from gameday import lab
from gameday.adapters.ssh import SshConnector
from gameday.core.faults import HostContext, parse_fault
from gameday.core.formats.inventory_loader import load_inventory
from gameday.core.yamlsrc import load_yaml
from gameday.engine.faultrun import FaultRunner, revert_everywhere

HOSTS = int(os.environ.get("GAMEDAY_BENCH_HOSTS", "8"))
ROUNDS = 5


def kill_switch() -> dict[str, float]:
    directory = Path("/var/lib/gameday-lab/gdbench")
    config = lab.LabConfig(name="gdbench", dir=directory, hosts=HOSTS, prometheus_port=9590)
    info = lab.up(config, say=lambda _text: None)
    try:
        return _measure(info.inventory)
    finally:
        lab.down(directory, say=lambda _text: None)


def _measure(inventory_path: Path) -> dict[str, float]:
    inventory = load_inventory(inventory_path)
    connector = SshConnector(inventory)
    started = time.perf_counter()
    transports = [connector.open(name) for name in inventory.hosts]
    connect_s = time.perf_counter() - started
    spec = _bandwidth()
    latencies = []
    try:
        for round_ in range(ROUNDS):
            runners = [FaultRunner(t, f"bench-{round_}") for t in transports]
            for runner in runners:
                plan = spec.plan(HostContext(runner.host), f"b{round_}-{runner.host}", 60)
                assert runner.arm(plan, 120).ok and runner.inject(plan).ok
            report = revert_everywhere(runners)
            assert report.all_confirmed, report
            latencies.append(report.duration)
            for runner in runners:
                runner.close()
    finally:
        for transport in transports:
            transport.close()
    return {
        "hosts": float(len(transports)),
        "connect_all_ms": connect_s * 1000,
        "kill_switch_median_ms": statistics.median(latencies) * 1000,
        "kill_switch_max_ms": max(latencies) * 1000,
    }


def _bandwidth():  # type: ignore[no-untyped-def]
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write("kind: bandwidth\nrate: 10mbit\ninterface: eth0\n")
    try:
        return parse_fault(load_yaml(f.name))
    finally:
        os.unlink(f.name)


LAB_BENCHMARKS = {"kill_switch": kill_switch}
