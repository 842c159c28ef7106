"""`gameday sweep` on the lab: faults left behind (no watcher, no journal) and traces beyond the
records are reverted and verified; what cannot be confirmed gives exit 4; hosts not named are
never contacted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gameday.core import guard
from gameday.core.faults import FaultPlan, HostContext, parse_fault
from gameday.core.yamlsrc import load_yaml
from gameday.lab import LabHost, LabInfo

pytestmark = [pytest.mark.lab, pytest.mark.slow]

FILL = "kind: disk_fill\npath: /var/tmp\nsize: 4M\nkeep_free: 1M\n"


def _inside(host: LabHost, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        host.enter("sh", "-c", command), capture_output=True, text=True, timeout=20, check=False
    )


def _sweep(lab: LabInfo, *hosts: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(lab.dir)}  # no ~/.ssh of this machine's user
    return subprocess.run(
        [sys.executable, "-m", "gameday.cli", "sweep", "-i", str(lab.inventory), *hosts],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def _abandon(lab: LabInfo, host: LabHost, plan: FaultPlan) -> None:
    """Arm and inject `plan`, then lose both the watcher and the console: only the host's
    record and its (long) timer are left, as after a crash with a dead watcher."""
    from gameday.adapters.ssh import SshConnector
    from gameday.adapters.ssh_config import SshOptions
    from gameday.core.formats.inventory_loader import load_inventory
    from gameday.engine.faultrun import FaultRunner

    options = SshOptions(
        ssh_config=None, user_known_hosts=None, use_agent=False, look_for_keys=False
    )
    transport = SshConnector(load_inventory(lab.inventory), options).open(host.name)
    runner = FaultRunner(transport, "abandoned", lease_seconds=30)
    try:
        for step in (runner.arm(plan, 900), runner.inject(plan)):
            assert step.ok, f"{step.step}: {step.detail}"
        _inside(host, f"kill -KILL {runner.watcher_pid}")
    finally:
        transport.abort_connection()


def _logins(lab: LabInfo) -> dict[str, int]:
    """Accepted SSH logins per host so far, from each host's sshd log (late lines about old
    connections closing do not count: only a new login means a host was contacted)."""
    return {
        h.name: h.sshd_log.read_text(errors="replace").count("Accepted publickey")
        if h.sshd_log.exists()
        else 0
        for h in lab.hosts
    }


def test_sweep_reverts_abandoned_faults_and_traces_on_named_hosts_only(lab: LabInfo) -> None:
    host = lab.hosts[1]
    plan = parse_fault(load_yaml("f.yaml", FILL)).plan(HostContext(name=host.name), "left1", 900)
    paused = ""
    try:
        _abandon(lab, host, plan)
        _inside(
            host,
            "iptables -w -N GAMEDAY-sweeptest-in && iptables -w -A INPUT -j GAMEDAY-sweeptest-in"
            " && touch /var/tmp/.gameday-fill-orphan"
            " && mkdir -p /var/tmp/.gameday-io-orphan/d && touch /var/tmp/.gameday-io-orphan/d/f",
        )
        # a process left stopped by a process_pause whose revert never ran (no record left)
        paused = _inside(
            host,
            # started by a shell that never held our pipes: a child stopped before its exec
            # would keep them open (and this command would never end)
            "mkdir -p /var/lib/gameday && sh -c 'sleep 300 & p=$!; kill -STOP $p;"
            " echo $p > /var/lib/gameday/orphan.paused' </dev/null >/dev/null 2>&1"
            " && cat /var/lib/gameday/orphan.paused",
        ).stdout.strip()
        assert paused.isdigit() and _state(host, paused) == "T"
        assert _inside(host, "ls -A /var/tmp").stdout.count(".gameday-fill-") == 2
        before = _logins(lab)

        result = _sweep(lab, host.name)

        assert result.returncode == 0, result.stdout + result.stderr
        assert "reverted left1 (disk_fill" in result.stdout
        assert "chain iptables:GAMEDAY-sweeptest-in" in result.stdout
        assert "fill /var/tmp/.gameday-fill-orphan" in result.stdout
        assert "iodir /var/tmp/.gameday-io-orphan" in result.stdout
        assert f"paused {paused} /var/lib/gameday/orphan.paused" in result.stdout
        assert ".gameday-" not in _inside(host, "ls -A /var/tmp").stdout
        assert _state(host, paused) == "S", "the paused process must be resumed, not killed"
        assert _inside(host, "test -e /var/lib/gameday/orphan.paused").returncode == 1
        assert "GAMEDAY" not in _inside(host, "iptables -w -S").stdout
        assert _inside(host, "ls /var/lib/gameday/faults").stdout.strip() == ""
        timers = _inside(host, "grep -l 'timer[.]sh' /proc/[0-9]*/cmdline 2>/dev/null").stdout
        assert "left1" not in timers and timers.strip() == "", "the dead-man timer was not stopped"
        after = _logins(lab)
        for other in lab.hosts:
            if other.name != host.name:
                assert after[other.name] == before[other.name], f"{other.name} was contacted"
        assert after[host.name] > before[host.name]
        again = _sweep(lab, host.name)
        assert again.returncode == 0 and f"{host.name}: clean" in again.stdout
    finally:
        _inside(host, guard.revert_script(plan, guard.GuardPaths(), "sweep"))
        _inside(
            host,
            "iptables -w -D INPUT -j GAMEDAY-sweeptest-in; iptables -w -F GAMEDAY-sweeptest-in;"
            " iptables -w -X GAMEDAY-sweeptest-in; rm -f /var/tmp/.gameday-fill-orphan;"
            " rm -rf /var/tmp/.gameday-io-orphan; rm -f /var/lib/gameday/orphan.paused",
        )
        if paused.isdigit():
            _inside(host, f"kill -KILL {paused}")


def _state(host: LabHost, pid: str) -> str:
    """The state letter of a process on the host (`T` stopped, `S` sleeping)."""
    stat = _inside(host, f"cat /proc/{pid}/stat").stdout
    return stat.rsplit(") ", 1)[-1][:1]


def test_sweep_exits_4_when_a_revert_cannot_be_confirmed(lab: LabInfo) -> None:
    host = lab.hosts[2]
    stuck = "/var/tmp/stuck-effect"
    plan = FaultPlan(
        kind="custom",
        fault_id="stuck1",
        host=host.name,
        capability=(),
        inject=(f"touch {stuck}",),
        verify_active=(f"test -f {stuck}",),
        revert=("true",),  # a revert that does not work
        verify_reverted=(f"test ! -e {stuck}",),
    )
    try:
        _abandon(lab, host, plan)
        result = _sweep(lab, host.name)
        assert result.returncode == 4, result.stdout + result.stderr
        assert "UNCONFIRMED stuck1" in result.stdout
        assert "/var/lib/gameday/faults/stuck1" in result.stdout
        assert _inside(host, "test -d /var/lib/gameday/faults/stuck1").returncode == 0
        _inside(host, f"rm -f {stuck}")  # the human fixes the host; sweep confirms it
        fixed = _sweep(lab, host.name)
        assert fixed.returncode == 0, fixed.stdout + fixed.stderr
        assert "reverted stuck1" in fixed.stdout
    finally:
        _inside(host, f"rm -f {stuck}")
        _inside(host, guard.revert_script(plan, guard.GuardPaths(), "sweep"))


def test_sweep_of_an_unknown_host_is_bad_input(lab: LabInfo) -> None:
    result = _sweep(lab, "no-such-host")
    assert result.returncode == 2
    assert "no-such-host" in result.stderr


def test_unreachable_host_makes_sweep_exit_4(lab: LabInfo, tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        f"known_hosts: {lab.known_hosts}\n"
        f"hosts:\n  gone-1:\n    address: 127.0.0.1\n    port: {port}\n"
    )
    env = {**os.environ, "HOME": str(lab.dir)}
    result = subprocess.run(
        [sys.executable, "-m", "gameday.cli", "sweep", "-i", str(inventory)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 4, result.stdout + result.stderr
    assert "gone-1: NOT REACHED" in result.stdout
    assert "refused" in result.stdout
