"""Real faults on the lab fleet: the console is killed with SIGKILL mid-fault and the host
reverts by itself within the lease; the watcher is killed and the host's timer reverts at the
deadline; the kill switch reverts every host over the open lease channels.

Effects are observed from outside the hosts (nsenter), never through gameday itself.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gameday.core import guard
from gameday.core.faults import FaultPlan, HostContext, parse_fault
from gameday.core.shell import render
from gameday.core.yamlsrc import load_yaml
from gameday.lab import LabHost, LabInfo

pytestmark = [pytest.mark.lab, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
LEASE = 1.5
"""Seconds of silence after which a host reverts: the bound asserted below."""
MARGIN = 1.0
"""Slack for scheduling on a 2-core machine that also runs the lab."""
FILL = "kind: disk_fill\npath: /var/tmp\nsize: 4M\nkeep_free: 1M\n"
BANDWIDTH = "kind: bandwidth\nrate: 1mbit\n"


def _plan(text: str, host: str, fault_id: str, duration: float = 600) -> FaultPlan:
    return parse_fault(load_yaml("fault.yaml", text)).plan(
        HostContext(name=host), fault_id, duration
    )


def _inside(host: LabHost, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        host.enter("sh", "-c", command), capture_output=True, text=True, timeout=20, check=False
    )


def _fill_present(host: LabHost) -> bool:
    return _inside(host, "ls -A /var/tmp | grep -q '^.gameday-fill-'").returncode == 0


def _tbf_present(host: LabHost) -> bool:
    return "tbf" in _inside(host, "tc qdisc show dev eth0").stdout


def _seconds_until(condition: Callable[[], bool], limit: float) -> float:
    started = time.monotonic()
    while not condition() and time.monotonic() - started < limit:
        time.sleep(0.05)
    return time.monotonic() - started


def _history_mentions(host: LabHost, text: str) -> bool:
    """Whether the host's history says `text` (it is written just after the revert)."""
    check = f"grep -qF {render((text,))} /var/lib/gameday/history"
    return _seconds_until(lambda: _inside(host, check).returncode == 0, 5) < 5


def _repair(host: LabHost, plan: FaultPlan) -> None:
    """Whatever happened in the test, leave the host as it was (record, timer, effect)."""
    _inside(host, guard.revert_script(plan, guard.GuardPaths(), "sweep"))


class Console:
    """A console process on this machine holding one lab host's SSH connection."""

    def __init__(self, lab: LabInfo, host: LabHost, fault_yaml: str, deadline: float) -> None:
        spec = {
            "inventory": str(lab.inventory),
            "host": host.name,
            "fault_yaml": fault_yaml,
            "lease": LEASE,
            "deadline": deadline,
        }
        env = {**os.environ, "HOME": str(lab.dir)}  # no ~/.ssh of this machine's user
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "console_child.py"), json.dumps(spec)],
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
            env=env,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # bounded: the child gives up after 120 s
        if not line.startswith("injected "):
            self.stop()
            pytest.fail(f"console could not inject: {line!r}")
        self.watcher_pid = int(line.split()[1])
        """As seen inside the host's PID namespace."""

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.kill()


@pytest.fixture
def host(lab: LabInfo) -> LabHost:
    return lab.hosts[0]


def test_console_sigkilled_mid_fault_the_host_reverts_within_the_lease(
    lab: LabInfo, host: LabHost
) -> None:
    plan = _plan(FILL, host.name, "f1")
    console = Console(lab, host, FILL, deadline=600)
    try:
        assert _fill_present(host)
        console.kill()
        waited = _seconds_until(lambda: not _fill_present(host), LEASE + MARGIN + 10)
        assert not _fill_present(host), "the fill file stayed after the console died"
        assert waited <= LEASE + MARGIN, f"reverted after {waited:.2f}s"
        print(f"lab: SIGKILLed console, host reverted {waited:.2f}s later (lease {LEASE}s)")
        assert _history_mentions(host, "f1 reverted by lease")
        assert _inside(host, "ls /var/lib/gameday/faults").stdout.strip() == ""
    finally:
        console.stop()
        _repair(host, plan)


def test_watcher_killed_the_host_timer_reverts_at_the_deadline(lab: LabInfo, host: LabHost) -> None:
    plan = _plan(BANDWIDTH, host.name, "f1", 4)
    console = Console(lab, host, BANDWIDTH, deadline=4)
    try:
        assert _tbf_present(host)
        _inside(host, f"kill -KILL {console.watcher_pid}")
        console.kill()
        assert _tbf_present(host), "without the watcher only the timer may revert"
        waited = _seconds_until(lambda: not _tbf_present(host), 15)
        assert not _tbf_present(host), "the dead-man timer did not revert the qdisc"
        assert waited <= 4 + MARGIN, f"reverted {waited:.2f}s after the console died"
        assert _history_mentions(host, "f1 reverted by timer")
    finally:
        console.stop()
        _repair(host, plan)


def test_kill_switch_reverts_every_host_over_open_channels(lab: LabInfo) -> None:
    from gameday.adapters.ssh import SshConnector
    from gameday.adapters.ssh_config import SshOptions
    from gameday.core.formats.inventory_loader import load_inventory
    from gameday.engine.connector import Connector
    from gameday.engine.faultrun import FaultRunner
    from tests.runner_tools import revert_everywhere

    inventory = load_inventory(lab.inventory)
    options = SshOptions(
        ssh_config=None, user_known_hosts=None, use_agent=False, look_for_keys=False
    )
    connector = Connector(SshConnector(inventory, options).open)
    names = [h.name for h in lab.hosts]
    plans = {name: _plan(FILL, name, "ks1") for name in names}
    runners: list[FaultRunner] = []
    try:
        outcomes = connector.connect_all(names)
        for name in names:
            transport = outcomes[name].transport
            assert transport is not None, outcomes[name].error
            runner = FaultRunner(transport, "kill-switch-test", lease_seconds=30)
            runners.append(runner)
            plan = plans[name]
            for step in (runner.check(plan), runner.arm(plan, 600), runner.inject(plan)):
                assert step.ok, f"{name} {step.step}: {step.detail}"
        assert all(_fill_present(h) for h in lab.hosts)
        report = revert_everywhere(runners, timeout=20)
        assert report.all_confirmed, report.outcomes
        assert not any(_fill_present(h) for h in lab.hosts)
        assert report.duration < 2.0, f"kill switch took {report.duration * 1000:.0f} ms"
        print(
            f"lab: kill switch on {len(names)} hosts, "
            f"all confirmed in {report.duration * 1000:.0f} ms"
        )
    finally:
        for runner in runners:
            runner.close()
        connector.close_all()
        for lab_host in lab.hosts:
            _repair(lab_host, plans[lab_host.name])


def test_console_cut_off_from_the_host_the_host_reverts_when_the_lease_runs_out(
    lab: LabInfo,
) -> None:
    host = lab.hosts[2]
    plan = _plan(FILL, host.name, "f1")
    console = Console(lab, host, FILL, deadline=600)
    cut = "iptables -w -I INPUT -p tcp --dport 22 -j DROP"
    try:
        assert _fill_present(host)
        # the network between console and host fails: the host hears nothing any more, while
        # the console's side of the connection stays open
        assert _inside(host, cut).returncode == 0
        waited = _seconds_until(lambda: not _fill_present(host), LEASE + MARGIN + 10)
        assert not _fill_present(host), "the fault stayed after the console was cut off"
        assert waited <= LEASE + MARGIN, f"reverted after {waited:.2f}s"
        assert _history_mentions(host, "f1 reverted by lease")
    finally:
        _inside(host, cut.replace(" -I ", " -D "))
        console.stop()
        _repair(host, plan)
    env = {**os.environ, "HOME": str(lab.dir)}
    swept = subprocess.run(
        [sys.executable, "-m", "gameday.cli", "sweep", "-i", str(lab.inventory), host.name],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert swept.returncode == 0, swept.stdout + swept.stderr
    assert f"{host.name}: clean" in swept.stdout
