"""The console on a real fleet: the lab's hosts over SSH, through `gameday console`'s backend.

Starts its own two-host lab (network namespaces, sshd, iptables; root only), drives the console
with Pilot as a facilitator would, and looks at the hosts themselves.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

from gameday import lab as gdlab
from gameday.app.live_backend import LiveBackend
from gameday.core.session import events as ev
from gameday.core.session.journal import read_journal
from gameday.lab import LabConfig, LabInfo
from gameday.ui.app import make_app
from gameday.ui.widgets.hosts import HostsTable
from tests.lab.support import chains
from tests.ui.conftest import in_loop, session, until

pytestmark = [pytest.mark.lab, pytest.mark.slow]

LAB_ROOT = Path("/var/lib/gameday-lab")  # outside /tmp, which every lab host hides
SCENARIO = """
id: console-lab-partition
title: A long partition that the facilitator stops
hypothesis: n/a
targets: {select: {hosts: [lab-1]}}
steady_state:
  interval: 1s
  probes:
    - name: load
      system: load
      max: 1000
faults:
  - kind: network_partition
    direction: ingress
    ports: [8080]
schedule: {duration: 5m}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def lab() -> Iterator[LabInfo]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("the lab needs root and iproute2")
    LAB_ROOT.mkdir(mode=0o755, parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix="console-", dir=LAB_ROOT))
    directory.chmod(0o755)
    prometheus, loadgen = _free_port(), _free_port()
    config = LabConfig(
        name=f"gdc{os.getpid() % 100000}",
        dir=directory,
        hosts=2,
        prometheus_port=prometheus,
        loadgen_port=loadgen,
    )
    try:
        yield gdlab.up(config)
    finally:
        try:
            gdlab.down(directory)
        finally:
            shutil.rmtree(directory, ignore_errors=True)


def _partitioned(lab: LabInfo, host: str) -> bool:
    return "GAMEDAY" in chains(lab, host)


@in_loop
async def test_the_kill_switch_key_reverts_a_real_partition_over_ssh(
    lab: LabInfo, tmp_path: Path
) -> None:
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "partition.yaml").write_text(SCENARIO, encoding="utf-8")
    shutil.copy(lab.inventory, scenarios / "inventory.yaml")  # listed? it must not be
    backend = LiveBackend(
        inventory=lab.inventory, scenario_dir=scenarios, journal_dir=tmp_path / "journals"
    )
    assert [c.scenario_id for c in backend.scenarios()] == ["console-lab-partition"]
    app = make_app(backend)
    try:
        async with app.run_test(size=(140, 48)) as pilot:
            screen = await session(pilot, "partition")
            hosts = screen.query_one(HostsTable)
            await until(pilot, lambda: "injected" in hosts.statuses.values(), "the partition")
            assert _partitioned(lab, "lab-1")
            assert isinstance(app.focused, Input)
            await pilot.press("ctrl+k")
            await until(pilot, lambda: screen.kill_state == "done", "the kill switch's outcome")
            await until(pilot, lambda: app.runner is not None and app.runner.ended, "the end")
            statuses = set(hosts.statuses.values())
            journal = app.runner.journal_path if app.runner else None
    finally:
        runner = app.runner
        if runner is not None and runner.running:  # never leave the lab partitioned
            runner.kill()
            runner.wait_ended(60)
    assert statuses == {"reverted"}
    assert not _partitioned(lab, "lab-1")
    assert journal is not None
    events = read_journal(journal).events
    done = [e for e in events if isinstance(e, ev.KillSwitchDone)]
    assert done and done[0].hosts == {"lab-1": "clean"}
