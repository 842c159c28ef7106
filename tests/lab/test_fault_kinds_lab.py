"""Every fault kind, end to end on a lab host: the real FaultRunner over a real SSH connection
(host keys verified against the lab's known_hosts) checks, arms, injects and verifies the
fault; the effect is observed from outside the SSH path (nsenter into the host, HTTP and TCP
from this machine's namespace); the revert is confirmed; and the host's state afterwards is
the state before — firewall rules, qdiscs, gameday's state directory, /tmp and /var/tmp,
stress-ng processes and the shop service's processes.

The netem kinds and service_stop cannot run on the lab (no netem in this kernel, no systemd on
the hosts): for them `check` must fail with a clear reason and leave nothing armed.

Every test reverts in a `finally` (over SSH, then from outside if that was not confirmed), so a
failing test still leaves its host as it found it.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from gameday.core import guard
from gameday.core.faults import FaultPlan, HostContext, parse_fault
from gameday.core.yamlsrc import load_yaml
from gameday.engine.faultrun import FaultRunner
from gameday.engine.ports import Transport
from gameday.lab import LabHost, LabInfo

pytestmark = [pytest.mark.lab, pytest.mark.slow]

DURATION = 30
"""Seconds a fault may last (stress-ng's own --timeout): far beyond each test, never forever."""
ARM_DEADLINE = 60.0
"""The host's dead-man timer: reverts by itself if the whole test process vanished."""
LEASE = 30.0
"""No heartbeats are sent here: the lease must outlast one test (each takes a few seconds)."""
HTTP_TIMEOUT = 1.0
SHOP = "shop"

IGNORED_STATE_FILES = ("./history", "./faults", "./faults/.lock")
"""The guard's own bookkeeping in /var/lib/gameday, not traces of a fault: `history` gains a
line for every confirmed revert (that line is the audit record a revert must leave), and
`faults/` with its empty flock file `.lock` is created by the first arm and reused by every
later one. Everything else there — a fault's record directory, its .pgid, .log, .pids, .paused,
.dev files — must be gone after the revert."""


# --- looking at a host from outside --------------------------------------------------------------


def _inside(host: LabHost, script: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    """`sh -c script` inside the host's namespaces (nsenter, no SSH), bounded in time."""
    return subprocess.run(
        host.enter("sh", "-c", script), capture_output=True, text=True, timeout=timeout, check=False
    )


def _out(host: LabHost, script: str) -> str:
    result = _inside(host, script)
    assert result.returncode == 0, f"{script!r} failed: {result.stderr}"
    return result.stdout


def _shop_processes(host: LabHost) -> list[tuple[int, str]]:
    """(pid, state letter) of every `shop` process in the host's PID namespace."""
    script = f"for p in $(pgrep -x {SHOP}); do echo $p $(ps -o stat= -p $p); done"
    rows = []
    for line in _inside(host, script).stdout.splitlines():
        pid, _, stat = line.partition(" ")
        if stat:
            rows.append((int(pid), stat.strip()[0]))
    return rows


def _shop_condition(host: LabHost) -> str:
    """'1 running' when exactly one shop process runs and is not stopped (R, S or D)."""
    rows = _shop_processes(host)
    stopped = [pid for pid, state in rows if state not in "RSD"]
    return f"{len(rows)} running" if not stopped else f"{len(rows)} with {stopped} not running"


@dataclass(frozen=True)
class Snapshot:
    """What a fault may change on a host, read from outside the SSH path."""

    iptables: str
    ip6tables: str
    qdiscs: str
    state_dir: str
    tmp_dirs: str
    stress: str
    shop_pids: tuple[int, ...]
    shop: str

    def without_shop_pids(self) -> Snapshot:
        return Snapshot(
            self.iptables,
            self.ip6tables,
            self.qdiscs,
            self.state_dir,
            self.tmp_dirs,
            self.stress,
            (),
            self.shop,
        )


def snapshot(host: LabHost) -> Snapshot:
    state_lines = _out(host, "cd /var/lib/gameday 2>/dev/null && find . -mindepth 1 | sort")
    state = [line for line in state_lines.splitlines() if line not in IGNORED_STATE_FILES]
    return Snapshot(
        iptables=_out(host, "iptables -w 5 -S"),
        ip6tables=_out(
            host, "if command -v ip6tables >/dev/null; then ip6tables -w 5 -S; else echo none; fi"
        ),
        qdiscs=_out(host, "tc qdisc show"),
        state_dir="\n".join(state),
        tmp_dirs=_out(host, "ls -A /tmp /var/tmp"),
        # by process name (workers are stress-ng-cpu, stress-ng-vm, …), never the shell asking
        stress=_inside(host, "pgrep -a stress-ng").stdout,
        shop_pids=tuple(pid for pid, _ in _shop_processes(host)),
        shop=_shop_condition(host),
    )


def _until(condition: Callable[[], bool], limit: float) -> bool:
    """Poll `condition` every 50 ms for at most `limit` seconds; its last value."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _health(host: LabHost, timeout: float = HTTP_TIMEOUT) -> int:
    """HTTP status of the shop's /health, asked from this machine's namespace (raises on timeout
    or a refused connection)."""
    url = f"http://{host.address}:8080/health"
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return int(response.status)


def _health_times_out(host: LabHost) -> bool:
    """True iff /health gets no answer within HTTP_TIMEOUT (not refused, not answered)."""
    started = time.monotonic()
    try:
        _health(host)
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        timed_out = isinstance(reason, TimeoutError) or "timed out" in str(reason)
        return timed_out and time.monotonic() - started >= HTTP_TIMEOUT * 0.9
    return False


def _health_ok(host: LabHost) -> bool:
    try:
        return _health(host) == 200
    except (urllib.error.URLError, OSError):
        return False


# --- driving a fault over SSH --------------------------------------------------------------------


def _open(lab: LabInfo, name: str) -> Transport:
    from gameday.adapters.ssh import SshConnector
    from gameday.adapters.ssh_config import SshOptions
    from gameday.core.formats.inventory_loader import load_inventory

    # only the lab's own known_hosts and key: nothing of this machine's ~/.ssh
    options = SshOptions(
        ssh_config=None, user_known_hosts=None, use_agent=False, look_for_keys=False
    )
    return SshConnector(load_inventory(lab.inventory), options).open(name)


def _plan(text: str, host: LabHost, fault_id: str) -> FaultPlan:
    return parse_fault(load_yaml("fault.yaml", text)).plan(
        HostContext(name=host.name), fault_id, DURATION
    )


@dataclass
class Active:
    """A fault in effect on a host, handed to the test's observer."""

    host: LabHost
    plan: FaultPlan
    transport: Transport


@contextlib.contextmanager
def fault_on(lab: LabInfo, host: LabHost, text: str, fault_id: str) -> Iterator[Active]:
    """check → arm → inject → verify_active over SSH (each must succeed), yield, then revert,
    which must be confirmed. Always leaves the host reverted, the watcher gone and the
    connection closed, also when the body or a step fails."""
    plan = _plan(text, host, fault_id)
    transport = _open(lab, host.name)
    runner = FaultRunner(transport, f"kinds-{fault_id}", lease_seconds=LEASE)
    confirmed = False
    watcher: int | None = None
    try:
        check = runner.check(plan)
        assert check.ok, f"check: {check.detail}"
        armed = runner.arm(plan, ARM_DEADLINE)
        assert armed.ok, f"arm: {armed.detail}"
        watcher = runner.watcher_pid
        for step in (runner.inject(plan), runner.verify_active(plan)):
            assert step.ok, f"{step.step}: {step.detail}"
        yield Active(host, plan, transport)
        reverted = runner.revert(plan)
        assert reverted.ok and not reverted.unconfirmed, f"revert: {reverted.detail}"
        assert reverted.via == "console"
        assert runner.armed == {}
        history = _out(host, "tail -n 5 /var/lib/gameday/history")
        assert f" {fault_id} reverted by console" in history, history
        confirmed = True
    finally:
        if not confirmed:
            runner.revert(plan)
        runner.close()
        transport.close()
        if not confirmed:  # the SSH path may be what broke: repair from outside as well
            _inside(host, guard.revert_script(plan, guard.GuardPaths(), "sweep"))
        if confirmed and watcher is not None:  # closing the lease channel ends the watcher
            gone = _until(lambda: _inside(host, f"kill -0 {watcher}").returncode != 0, 5)
            assert gone, f"the lease watcher {watcher} outlived its channel"


@pytest.fixture
def host(lab: LabInfo) -> LabHost:
    """One host for every test here; each test must leave it as it found it."""
    lab_host = lab.hosts[1]
    assert _until(lambda: _health_ok(lab_host), 10), "the shop does not answer before the test"
    return lab_host


def _assert_same(before: Snapshot, after: Snapshot) -> None:
    for field in Snapshot.__dataclass_fields__:
        assert getattr(after, field) == getattr(before, field), f"{field} changed"


# --- kinds that run on the lab -------------------------------------------------------------------


def test_network_partition_drops_shop_traffic_but_not_ssh(lab: LabInfo, host: LabHost) -> None:
    before = snapshot(host)
    text = "kind: network_partition\ndirection: ingress\nports: [8080]\n"
    with fault_on(lab, host, text, "part1") as active:
        assert _health_times_out(host), "the shop still answers through the partition"
        # the console's own connection still works, and so does a new one
        assert active.transport.run("echo alive", timeout=5).stdout == "alive\n"
        fresh = _open(lab, host.name)
        try:
            assert fresh.run("echo fresh", timeout=5).stdout == "fresh\n"
        finally:
            fresh.close()
        assert "GAMEDAY-part1-in" in _out(host, "iptables -w 5 -S")
    assert _health_ok(host), "the shop does not answer after the revert"
    _assert_same(before, snapshot(host))


SENDER = """
import socket, sys
size = int(sys.argv[1])
with socket.create_server(("0.0.0.0", 0)) as server:
    server.settimeout(15)
    print(server.getsockname()[1], flush=True)
    connection, _ = server.accept()
    with connection:
        connection.sendall(b"x" * size)
"""
"""Run inside a host: accepts one connection (or gives up after 15 s), sends `size` bytes."""


def _download_seconds(host: LabHost, size: int) -> float:
    """Seconds to receive `size` bytes sent by the host to this machine's namespace."""
    proc = subprocess.Popen(
        ["ip", "netns", "exec", host.netns, sys.executable, "-c", SENDER, str(size)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            assert selector.select(timeout=10), "the sender did not start"
        port = int(proc.stdout.readline())
        received = 0
        with socket.create_connection((host.address, port), timeout=5) as client:
            started = time.monotonic()
            client.settimeout(10)
            while received < size:
                chunk = client.recv(65536)
                if not chunk:
                    break
                received += len(chunk)
            elapsed = time.monotonic() - started
        assert received == size, f"received {received} of {size} bytes"
        return elapsed
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def test_bandwidth_limits_what_the_host_sends(lab: LabInfo, host: LabHost) -> None:
    size = 256 * 1024
    before = snapshot(host)
    free = _download_seconds(host, size)
    with fault_on(lab, host, "kind: bandwidth\nrate: 1mbit\n", "bw1"):
        limited = _download_seconds(host, size)
        assert "tbf" in _out(host, "tc qdisc show dev eth0")
    again = _download_seconds(host, size)
    # 1mbit with a 32K burst: at least (256K - 32K) * 8 / 1e6 ≈ 1.8 s
    rate = size * 8 / limited
    assert rate < 1.5e6, f"{rate / 1e6:.2f} Mbit/s through a 1mbit limit"
    assert limited > 10 * free, f"limited {limited:.2f}s vs free {free:.3f}s"
    assert again < limited / 5, f"still slow after the revert: {again:.2f}s"
    print(f"lab: 256 KiB from the host in {free * 1000:.0f} ms, {limited:.2f} s at 1mbit")
    _assert_same(before, snapshot(host))


def _stress_cpu_ticks(host: LabHost) -> int:
    """User + system clock ticks used so far by the host's stress-ng processes."""
    script = "for p in $(pgrep stress-ng); do cat /proc/$p/stat 2>/dev/null; done"
    total = 0
    for line in _inside(host, script).stdout.splitlines():
        fields = line.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (stat fields 14 and 15)
    return total


def _marked_stress(host: LabHost, fault_id: str) -> list[int]:
    """PIDs, in the host's PID namespace, of stress-ng processes marked with this fault."""
    script = (
        "for p in $(pgrep stress-ng); do "
        f"grep -q -s -z -x -F -e GAMEDAY_FAULT={fault_id} /proc/$p/environ && echo $p; done"
    )
    return [int(pid) for pid in _inside(host, script).stdout.split()]


def test_cpu_stress_puts_load_on_the_host(lab: LabInfo, host: LabHost) -> None:
    before = snapshot(host)
    with fault_on(lab, host, "kind: cpu_stress\nworkers: 1\nload: 50\n", "cpu1"):
        assert _marked_stress(host, "cpu1"), "no stress-ng of the fault in the host"
        first = _stress_cpu_ticks(host)
        time.sleep(1.0)
        used = (_stress_cpu_ticks(host) - first) / 100  # CLK_TCK is 100 on Linux
        assert used >= 0.2, f"stress-ng used {used:.2f} s of CPU in 1 s"
    assert not _marked_stress(host, "cpu1")
    _assert_same(before, snapshot(host))


def _stress_rss_kib(host: LabHost) -> int:
    script = "for p in $(pgrep stress-ng-vm); do grep VmRSS /proc/$p/status; done"
    return sum(int(line.split()[1]) for line in _inside(host, script).stdout.splitlines())


def test_memory_stress_holds_memory_in_vm_workers(lab: LabInfo, host: LabHost) -> None:
    before = snapshot(host)
    text = "kind: memory_stress\nsize: 16M\nworkers: 1\nkeep_available: 64M\n"
    with fault_on(lab, host, text, "mem1"):
        assert _inside(host, "pgrep -x stress-ng-vm").returncode == 0, "no vm worker"
        held = _until(lambda: _stress_rss_kib(host) >= 12 * 1024, 5)
        assert held, f"vm workers hold only {_stress_rss_kib(host)} KiB"
    assert not _marked_stress(host, "mem1")
    _assert_same(before, snapshot(host))


def test_io_stress_works_in_its_own_directory(lab: LabInfo, host: LabHost) -> None:
    before = snapshot(host)
    text = "kind: io_stress\npath: /var/tmp\nsize: 4M\nworkers: 1\n"
    with fault_on(lab, host, text, "io1"):
        assert _inside(host, "test -d /var/tmp/.gameday-io-io1").returncode == 0
        assert _marked_stress(host, "io1"), "no stress-ng of the fault in the host"
    assert _inside(host, "test -e /var/tmp/.gameday-io-io1").returncode != 0
    _assert_same(before, snapshot(host))


def _used_bytes(host: LabHost, path: str) -> int:
    return int(_out(host, f"df -B1 --output=used {path} | tail -n 1").strip())


def test_disk_fill_takes_the_space(lab: LabInfo, host: LabHost) -> None:
    before = snapshot(host)
    used = _used_bytes(host, "/var/tmp")
    text = "kind: disk_fill\npath: /var/tmp\nsize: 16M\nkeep_free: 8M\n"
    with fault_on(lab, host, text, "fill1"):
        grown = _used_bytes(host, "/var/tmp") - used
        assert grown >= 16 * 1024 * 1024, f"df shows only {grown} more bytes used"
        assert _inside(host, "test -f /var/tmp/.gameday-fill-fill1").returncode == 0
    assert _used_bytes(host, "/var/tmp") - used < 1024 * 1024
    _assert_same(before, snapshot(host))


def test_process_kill_kills_the_shop_and_the_supervisor_brings_it_back(
    lab: LabInfo, host: LabHost
) -> None:
    before = snapshot(host)
    assert before.shop == "1 running"
    # `restart: true` restarts nothing: the lab's supervisor does (about 1 s later), and
    # verify_reverted waits (up to 10 s) until a `shop` runs again — so the revert is verified
    text = f"kind: process_kill\nprocess: {SHOP}\nsignal: KILL\nrestart: 'true'\n"
    with fault_on(lab, host, text, "kill1"):
        old = before.shop_pids[0]
        # dead: gone, or a zombie its supervisor has not reaped yet
        alive = [pid for pid, state in _shop_processes(host) if pid == old and state != "Z"]
        assert not alive, "the shop was not killed"
    after = snapshot(host)
    assert after.shop == "1 running"
    assert after.shop_pids != before.shop_pids, "the same shop process: it was never killed"
    assert _until(lambda: _health_ok(host), 5), "the restarted shop does not answer"
    _assert_same(before.without_shop_pids(), after.without_shop_pids())


def test_process_pause_stops_the_shop_until_the_revert(lab: LabInfo, host: LabHost) -> None:
    before = snapshot(host)
    assert before.shop == "1 running"
    with fault_on(lab, host, f"kind: process_pause\nprocess: {SHOP}\n", "pause1"):
        assert [state for _, state in _shop_processes(host)] == ["T"]
        assert _health_times_out(host), "a paused shop still answers"
    assert _health_ok(host), "the resumed shop does not answer"
    _assert_same(before, snapshot(host))


def test_custom_runs_the_authors_commands(lab: LabInfo, host: LabHost) -> None:
    before = snapshot(host)
    flag = "/var/tmp/custom-flag"
    text = (
        "kind: custom\n"
        f"inject: touch {flag}\n"
        f"revert: rm -f {flag}\n"
        f"verify: test -e {flag}\n"
        f"verify_reverted: test ! -e {flag}\n"
    )
    with fault_on(lab, host, text, "custom1"):
        assert _inside(host, f"test -e {flag}").returncode == 0
    assert _inside(host, f"test -e {flag}").returncode != 0
    _assert_same(before, snapshot(host))


# --- kinds the lab cannot take -------------------------------------------------------------------


def _netem_works() -> bool:
    probe = ["unshare", "-n", "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"]
    return subprocess.run(probe, capture_output=True, timeout=10, check=False).returncode == 0


REFUSED = [
    pytest.param("kind: network_latency\ndelay: 100ms\n", "kernel has no netem", id="latency"),
    pytest.param("kind: packet_loss\npercent: 10\n", "kernel has no netem", id="loss"),
    pytest.param(
        "kind: service_stop\nservice: ssh.service\n",
        "systemd is not running on this host",
        id="service_stop",
    ),
]


@pytest.mark.parametrize(("text", "reason"), REFUSED)
def test_kinds_the_host_cannot_take_fail_check_and_arm_nothing(
    lab: LabInfo, host: LabHost, text: str, reason: str
) -> None:
    if "netem" in reason and _netem_works():
        pytest.skip("this kernel has netem: the latency and loss faults can run here")
    before = snapshot(host)
    plan = _plan(text, host, "refused1")
    transport = _open(lab, host.name)
    runner = FaultRunner(transport, "kinds-refused", lease_seconds=LEASE)
    try:
        check = runner.check(plan)
        assert not check.ok
        assert reason in check.detail, check.detail
        assert "sh -c" not in check.detail, "the reason echoes a script"
        assert runner.armed == {}
        assert runner.watcher_pid is None, "a lease watcher started for a refused fault"
    finally:
        # no revert: nothing was injected, and service_stop's revert would start the unit
        runner.close()
        transport.close()
    _assert_same(before, snapshot(host))
