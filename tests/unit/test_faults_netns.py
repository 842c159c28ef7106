"""Fault plans run for real, inside throwaway network namespaces this test creates.

Each test builds a small two-namespace network (`host` and `peer`, joined by a veth pair named
eth0 on both sides, 10.77.0.1 ↔ 10.77.0.2), runs a plan's lines with `ip netns exec HOST sh -c`
and checks the fault's life: capability → inject → verify_active → revert → verify_reverted,
and that a second revert is harmless. Processes are ours alone: stress-ng groups recorded in
the test's own state directory, and copies of `sleep` under a unique name. Everything is
removed afterwards, by PID and by namespace name, even when a test fails.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gameday.core import guard
from gameday.core.faults import FaultPlan, HostContext, parse_fault
from gameday.core.faults.reference import EXAMPLES
from gameday.core.faults.tc import NETEM_MISSING
from gameday.core.yamlsrc import load_yaml

pytestmark = [
    pytest.mark.lab,
    pytest.mark.slow,
    pytest.mark.skipif(
        os.geteuid() != 0 or shutil.which("ip") is None,
        reason="needs root and iproute2 to create network namespaces",
    ),
]

HOST_IP, PEER_IP = "10.77.0.1", "10.77.0.2"


@dataclass
class Result:
    status: int
    stdout: str
    stderr: str


@dataclass
class Lab:
    host_ns: str
    peer_ns: str
    state_dir: Path
    ctx: HostContext
    enter: tuple[str, ...] = ()
    """How to enter the host; by default `ip netns exec <host_ns>`."""

    def run(self, line: str, ns: str | None = None, timeout: float = 30) -> Result:
        enter = (
            self.enter if ns is None and self.enter else ("ip", "netns", "exec", ns or self.host_ns)
        )
        out = subprocess.run(
            [*enter, "sh", "-c", line],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return Result(out.returncode, out.stdout, out.stderr)

    def phase(self, lines: tuple[str, ...]) -> Result:
        """Run lines in order; the first failure is the phase's result."""
        result = Result(0, "", "")
        for line in lines:
            result = self.run(line)
            if result.status != 0:
                return result
        return result

    def plan(self, yaml_text: str, duration: float = 60) -> FaultPlan:
        spec = parse_fault(load_yaml("scenario.yaml", yaml_text))
        return spec.plan(self.ctx, "t" + secrets.token_hex(4), duration)


def _ip(*argv: str) -> None:
    subprocess.run(["ip", *argv], check=True, capture_output=True, timeout=10)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    token = secrets.token_hex(3)
    host_ns, peer_ns = f"gdtest-{token}-h", f"gdtest-{token}-p"
    state = tmp_path / "state"
    made: list[str] = []
    try:
        for ns in (host_ns, peer_ns):
            _ip("netns", "add", ns)
            made.append(ns)
            _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", host_ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0",
            "netns", peer_ns)  # fmt: skip
        for ns, addr in ((host_ns, HOST_IP), (peer_ns, PEER_IP)):
            _ip("-n", ns, "addr", "add", f"{addr}/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")
        _ip("-n", host_ns, "route", "add", "default", "via", PEER_IP, "dev", "eth0")
        yield Lab(host_ns, peer_ns, state, HostContext("lab-host", 2222, False, str(state)))
    finally:
        _kill_recorded_stress_groups(state)
        for ns in made:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)


def _kill_recorded_stress_groups(state: Path) -> None:
    """Safety net: end the stress-ng groups this test recorded, if a test left one running."""
    if not state.is_dir():
        return
    for file in state.glob("*.pgid"):
        text = file.read_text().strip()
        if not text.isdigit() or int(text) <= 1:
            continue
        found = subprocess.run(["pgrep", "-g", text, "^stress-ng"], capture_output=True)
        if found.returncode == 0:
            os.killpg(int(text), signal.SIGKILL)


def _full_life(lab: Lab, plan: FaultPlan) -> None:
    """capability → inject → verify_active → revert → verify_reverted, revert twice is fine."""
    for phase in ("capability", "inject", "verify_active"):
        result = lab.phase(plan.phases[phase])
        assert result.status == 0, f"{phase}: {result.stderr}"
    assert lab.phase(plan.verify_reverted).status != 0, "verify_reverted passes while active"
    for _ in range(2):
        assert lab.phase(plan.revert).status == 0, "revert must succeed (and be idempotent)"
        result = lab.phase(plan.verify_reverted)
        assert result.status == 0, f"verify_reverted: {result.stderr}"
    assert lab.phase(plan.verify_active).status != 0, "verify_active passes after revert"
    assert lab.phase(plan.cleanup).status == 0


# --- tc --------------------------------------------------------------------------------------


@pytest.mark.parametrize("interface", ["eth0", "auto"])
def test_bandwidth_limit_lives_and_leaves_no_qdisc(lab: Lab, interface: str) -> None:
    plan = lab.plan(f"{{kind: bandwidth, rate: 2mbit, interface: {interface}}}")
    before = lab.run("tc qdisc show dev eth0").stdout
    result = lab.phase(plan.capability + plan.inject)
    assert result.status == 0, result.stderr
    shown = lab.run("tc qdisc show dev eth0").stdout
    assert " htb 67" in shown and " tbf 68" in shown and "rate 2Mbit" in shown
    lab.phase(plan.revert)
    _full_life(lab, plan)
    assert lab.run("tc qdisc show dev eth0").stdout == before


def _send_seconds(lab: Lab, size: int, port: int = 9555) -> float:
    """Seconds to send `size` bytes from the host namespace to a receiver in the peer."""
    receiver = subprocess.Popen(
        ["ip", "netns", "exec", lab.peer_ns, sys.executable, "-c",
         "import socket\n"
         f"s = socket.socket(); s.bind(('{PEER_IP}', {port})); s.listen(1)\n"
         "print('ready', flush=True)\n"
         "c, _ = s.accept()\n"
         "while c.recv(65536): pass\n"],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert receiver.stdout is not None and receiver.stdout.readline().strip() == b"ready"
        sender = (
            "import socket, time\n"
            f"c = socket.create_connection(('{PEER_IP}', {port}), timeout=30)\n"
            f"t = time.monotonic(); c.sendall(b'x' * {size}); c.shutdown(socket.SHUT_WR)\n"
            "c.recv(1); print(time.monotonic() - t)\n"
        )
        out = lab.run(f"{sys.executable} -c {shlex.quote(sender)}", timeout=60)
        assert out.status == 0, out.stderr
        return float(out.stdout)
    finally:
        receiver.kill()
        receiver.wait(timeout=10)


def test_bandwidth_limit_is_felt_by_traffic(lab: Lab) -> None:
    size = 1_000_000  # 8 Mbit: 2 s at 4mbit, a blink without the limit
    assert _send_seconds(lab, size) < 1.0
    plan = lab.plan("{kind: bandwidth, rate: 4mbit, interface: eth0}")
    assert lab.phase(plan.inject).status == 0
    try:
        assert _send_seconds(lab, size) > 1.5
    finally:
        assert lab.phase(plan.revert).status == 0
    assert _send_seconds(lab, size) < 1.0


def test_the_ssh_port_is_exempt_from_the_bandwidth_limit(lab: Lab) -> None:
    """Traffic to the console's SSH port (here 9556) keeps its speed under a 1 mbit limit."""
    size = 1_000_000  # 8 s at 1mbit
    spec = parse_fault(load_yaml("s.yaml", "{kind: bandwidth, rate: 1mbit, interface: eth0}"))
    plan = spec.plan(dataclasses.replace(lab.ctx, ssh_port=9556), "t" + secrets.token_hex(4), 60)
    assert lab.phase(plan.inject + plan.verify_active).status == 0
    try:
        exempt = _send_seconds(lab, size, port=9556)
        shaped = _send_seconds(lab, size // 8, port=9555)  # 1 s at 1mbit
    finally:
        assert lab.phase(plan.revert + plan.verify_reverted).status == 0
    assert exempt < 1.0, f"the SSH port was shaped: {exempt:.2f}s for 8 Mbit"
    assert shaped > 0.6, f"the limit was not felt: {shaped:.2f}s for 1 Mbit at 1mbit"


def test_a_foreign_root_qdisc_is_refused_and_left_alone(lab: Lab) -> None:
    assert (
        lab.run("tc qdisc add dev eth0 root handle 1: tbf rate 5mbit burst 32k latency 50ms").status
        == 0
    )
    plan = lab.plan("{kind: bandwidth, rate: 1mbit, interface: eth0}")
    result = lab.phase(plan.capability)
    assert result.status == 1
    assert "eth0 already has a root qdisc (tbf 1:); gameday will not replace it" in result.stderr
    lab.phase(plan.revert)
    assert "tbf 1: root" in lab.run("tc qdisc show dev eth0").stdout


def test_netem_capability_gives_the_clear_message_on_a_kernel_without_netem(lab: Lab) -> None:
    has_netem = lab.run("unshare -n tc qdisc add dev lo root netem delay 1ms").status == 0
    for text in (
        "{kind: network_latency, delay: 100ms, interface: eth0}",
        "{kind: packet_loss, percent: 5}",
    ):
        result = lab.phase(lab.plan(text).capability)
        if has_netem:
            assert result.status == 0, result.stderr
        else:
            assert result.status == 1
            assert result.stderr.strip() == NETEM_MISSING
    assert lab.run("tc qdisc show dev eth0").stdout.startswith("qdisc noqueue 0: root")


# --- network_partition -----------------------------------------------------------------------


def _listen(lab: Lab, port: int, address: str = HOST_IP) -> subprocess.Popen[bytes]:
    family = "AF_INET6" if ":" in address else "AF_INET"
    code = (
        "import socket, sys\n"
        f"s = socket.socket(socket.{family})\n"
        "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        f"s.bind(('{address}', {port})); s.listen(16); print('ready', flush=True)\n"
        "while True:\n    c, _ = s.accept(); c.close()\n"
    )
    proc = subprocess.Popen(
        ["ip", "netns", "exec", lab.host_ns, sys.executable, "-c", code],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    return proc


def _reaches(lab: Lab, port: int, address: str = HOST_IP) -> bool:
    code = f"import socket\nsocket.create_connection(('{address}', {port}), timeout=1).close()\n"
    out = subprocess.run(
        ["ip", "netns", "exec", lab.peer_ns, sys.executable, "-c", code],
        capture_output=True,
        timeout=10,
    )
    return out.returncode == 0


def test_partition_drops_traffic_but_never_the_ssh_port(lab: Lab) -> None:
    listeners = [_listen(lab, 8080), _listen(lab, 2222)]
    try:
        assert _reaches(lab, 8080) and _reaches(lab, 2222)
        plan = lab.plan("{kind: network_partition}")  # everything, both directions
        for phase in ("capability", "inject", "verify_active"):
            result = lab.phase(plan.phases[phase])
            assert result.status == 0, f"{phase}: {result.stderr}"
        assert not _reaches(lab, 8080), "the partition lets traffic through"
        assert _reaches(lab, 2222), "the partition cut the console's SSH port"
        for tool in ("iptables", "ip6tables"):  # this kernel has IPv6: both are cut
            rules = lab.run(f"{tool} -S").stdout
            assert f"-N GAMEDAY-{plan.fault_id}-in" in rules
            assert f"-A OUTPUT -j GAMEDAY-{plan.fault_id}-out" in rules
        _full_life_after_inject(lab, plan)
        assert _reaches(lab, 8080), "traffic does not flow again after revert"
        assert "GAMEDAY" not in lab.run("iptables -S").stdout
        assert "GAMEDAY" not in lab.run("ip6tables -S").stdout
    finally:
        for proc in listeners:
            proc.kill()
            proc.wait(timeout=10)


def test_partition_by_port_and_peer_is_exact(lab: Lab) -> None:
    listeners = [_listen(lab, 8080), _listen(lab, 9090)]
    try:
        plan = lab.plan(
            f"{{kind: network_partition, direction: ingress, ports: [8080], peers: [{PEER_IP}]}}"
        )
        assert lab.phase(plan.inject).status == 0
        assert not _reaches(lab, 8080)
        assert _reaches(lab, 9090)
        _full_life_after_inject(lab, plan)
        assert _reaches(lab, 8080)
    finally:
        for proc in listeners:
            proc.kill()
            proc.wait(timeout=10)


def test_an_ipv6_peer_partition_cuts_ipv6_only(lab: Lab) -> None:
    host6, peer6 = "fd77::1", "fd77::2"
    for ns, addr in ((lab.host_ns, host6), (lab.peer_ns, peer6)):
        _ip("-n", ns, "addr", "add", f"{addr}/64", "dev", "eth0", "nodad")
    listeners = [_listen(lab, 8080), _listen(lab, 8080, host6)]
    try:
        assert _reaches(lab, 8080, host6)
        plan = lab.plan(f'{{kind: network_partition, direction: ingress, peers: ["{peer6}"]}}')
        assert lab.phase(plan.capability + plan.inject).status == 0
        assert not _reaches(lab, 8080, host6)
        assert _reaches(lab, 8080), "an IPv6-only partition must leave IPv4 alone"
        assert "GAMEDAY" not in lab.run("iptables -S").stdout
        _full_life_after_inject(lab, plan)
        assert _reaches(lab, 8080, host6)
    finally:
        for proc in listeners:
            proc.kill()
            proc.wait(timeout=10)


def _full_life_after_inject(lab: Lab, plan: FaultPlan) -> None:
    assert lab.phase(plan.verify_active).status == 0
    assert lab.phase(plan.verify_reverted).status != 0
    for _ in range(2):
        assert lab.phase(plan.revert).status == 0
        result = lab.phase(plan.verify_reverted)
        assert result.status == 0, result.stderr
    assert lab.phase(plan.verify_active).status != 0


def test_a_half_injected_partition_is_still_reverted(lab: Lab) -> None:
    plan = lab.plan("{kind: network_partition, direction: both}")
    for line in plan.inject[:3]:  # the chain exists, not hooked: an interrupted inject
        assert lab.run(line).status == 0
    assert lab.phase(plan.verify_active).status != 0
    assert lab.phase(plan.revert).status == 0
    assert lab.phase(plan.verify_reverted).status == 0


# --- disk_fill -------------------------------------------------------------------------------


def test_disk_fill_lives_and_leaves_no_file(lab: Lab, tmp_path: Path) -> None:
    area = tmp_path / "area"
    area.mkdir()
    plan = lab.plan(f"{{kind: disk_fill, path: {area}, size: 64M, keep_free: 1M}}")
    before = shutil.disk_usage(area).free
    assert lab.phase(plan.inject).status == 0
    assert before - shutil.disk_usage(area).free >= 60 * 1024**2, "the fill takes no space"
    assert lab.phase(plan.revert).status == 0
    _full_life(lab, plan)
    assert list(area.iterdir()) == []


def test_disk_fill_refuses_to_leave_less_than_keep_free(lab: Lab, tmp_path: Path) -> None:
    plan = lab.plan(f"{{kind: disk_fill, path: {tmp_path}, size: 1M, keep_free: 1024T}}")
    for lines in (plan.capability, plan.inject):
        result = lab.phase(lines)
        assert result.status == 1
        assert "refusing to fill 1M in" in result.stderr and "must keep 1024T free" in result.stderr
    assert not any(p.name.startswith(".gameday-fill") for p in tmp_path.iterdir())


def test_memory_stress_refuses_to_eat_what_must_stay_available(lab: Lab) -> None:
    plan = lab.plan("{kind: memory_stress, size: 16M, keep_available: 1024T}")
    for lines in (plan.capability, plan.inject):
        result = lab.phase(lines)
        assert result.status == 1
        assert "refusing to hold 16M of memory" in result.stderr
    assert not (lab.state_dir / f"{plan.fault_id}.pgid").exists()


# --- stress ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "{kind: cpu_stress, workers: 1, load: 10}",
        "{kind: memory_stress, size: 16M}",
        "{kind: io_stress, path: IO, size: 4M}",
    ],
)
def test_stress_runs_in_its_own_group_and_revert_ends_the_whole_group(
    lab: Lab, tmp_path: Path, text: str
) -> None:
    (tmp_path / "io").mkdir()
    plan = lab.plan(text.replace("IO", str(tmp_path / "io")), duration=60)
    for phase in ("capability", "inject", "verify_active"):
        result = lab.phase(plan.phases[phase])
        assert result.status == 0, f"{phase}: {result.stderr}"
    pgid = int((lab.state_dir / f"{plan.fault_id}.pgid").read_text())
    group = _group(pgid)
    assert group and all(pgid == os.getpgid(pid) for pid in group)
    assert lab.phase(plan.inject).status == 1, "a second inject must be refused"
    _full_life_after_inject(lab, plan)
    assert lab.phase(plan.cleanup).status == 0
    assert _group(pgid) == []
    assert list((tmp_path / "io").iterdir()) == []
    assert not (lab.state_dir / f"{plan.fault_id}.pgid").exists()


def test_stress_ends_by_itself_at_its_timeout(lab: Lab) -> None:
    plan = lab.plan("{kind: cpu_stress, workers: 1, load: 5}", duration=1)
    assert lab.phase(plan.inject).status == 0
    pgid = int((lab.state_dir / f"{plan.fault_id}.pgid").read_text())
    deadline = time.monotonic() + 15
    while _group(pgid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _group(pgid) == []
    assert lab.phase(plan.verify_reverted).status == 0


def _group(pgid: int) -> list[int]:
    """Live (not zombie) stress-ng processes of the group: a zombie holds no CPU or memory."""
    out = subprocess.run(["pgrep", "-g", str(pgid), "^stress-ng"], capture_output=True, text=True)
    return [int(pid) for pid in out.stdout.split() if _state(int(pid)) not in ("Z", "gone")]


# --- processes ---------------------------------------------------------------------------------


@pytest.fixture
def sleeper(tmp_path: Path) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """Two processes named uniquely (a copy of sleep), so no stranger can match the name."""
    name = "gds" + secrets.token_hex(4)
    binary = tmp_path / name
    shutil.copy(shutil.which("sleep") or "/bin/sleep", binary)
    procs = [subprocess.Popen([str(binary), "300"]) for _ in range(2)]
    try:
        yield name, procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.kill()
            proc.wait(timeout=10)


def test_process_pause_stops_and_resumes_exactly_those_processes(
    lab: Lab, sleeper: tuple[str, list[subprocess.Popen[bytes]]]
) -> None:
    name, procs = sleeper
    plan = lab.plan(f"{{kind: process_pause, process: {name}}}")
    for phase in ("capability", "inject", "verify_active"):
        result = lab.phase(plan.phases[phase])
        assert result.status == 0, f"{phase}: {result.stderr}"
    assert all(_state(p.pid) == "T" for p in procs)
    _full_life_after_inject(lab, plan)
    assert all(_state(p.pid) in "SR" for p in procs)


def test_process_kill_kills_and_restart_brings_one_back(
    lab: Lab, tmp_path: Path, sleeper: tuple[str, list[subprocess.Popen[bytes]]]
) -> None:
    name, procs = sleeper
    restarted = tmp_path / "restarted.pid"
    restart = f"{tmp_path / name} 300 & echo $! > {restarted}"
    plan = lab.plan(f"{{kind: process_kill, process: {name}, signal: TERM, restart: '{restart}'}}")
    try:
        for phase in ("capability", "inject", "verify_active"):
            result = lab.phase(plan.phases[phase])
            assert result.status == 0, f"{phase}: {result.stderr}"
        for proc in procs:
            proc.wait(timeout=10)
        assert [p.returncode for p in procs] == [-signal.SIGTERM] * 2
        for _ in range(2):
            assert lab.phase(plan.revert).status == 0
            result = lab.phase(plan.verify_reverted)
            assert result.status == 0, result.stderr
        pids = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True).stdout.split()
        assert len(pids) == 1, "the second revert must not start another one"
    finally:
        if restarted.exists():
            os.kill(int(restarted.read_text()), signal.SIGKILL)


def test_process_kill_capability_fails_when_no_such_process_runs(lab: Lab) -> None:
    name = "gdn" + secrets.token_hex(4)
    result = lab.phase(lab.plan(f"{{kind: process_kill, process: {name}}}").capability)
    assert result.status == 1
    assert f"no process named {name} is running on this host" in result.stderr


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def test_stress_whose_group_file_is_lost_is_still_found_and_ended(lab: Lab) -> None:
    plan = lab.plan("{kind: cpu_stress, workers: 1, load: 5}", duration=60)
    assert lab.phase(plan.inject).status == 0
    pgid_file = lab.state_dir / f"{plan.fault_id}.pgid"
    pgid = int(pgid_file.read_text())
    try:
        pgid_file.unlink()
        assert lab.phase(plan.verify_reverted).status != 0, "the marker must betray it"
        assert lab.phase(plan.revert).status == 0
        assert lab.phase(plan.verify_reverted).status == 0
        deadline = time.monotonic() + 5  # SIGKILL is delivered at once, the exit takes a moment
        while _group(pgid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _group(pgid) == []
    finally:
        if _group(pgid):
            os.killpg(pgid, signal.SIGKILL)


def test_service_stop_capability_names_what_is_missing(lab: Lab) -> None:
    result = lab.phase(lab.plan("{kind: service_stop, service: nginx}").capability)
    assert result.status == 1
    if not Path("/run/systemd/system").is_dir():
        assert "systemd is not running on this host: service_stop needs it" in result.stderr
    else:  # a systemd host: the made-up unit is the problem
        assert "nginx" in result.stderr


# --- sweep -------------------------------------------------------------------------------------


@pytest.fixture
def isolated(lab: Lab) -> Iterator[Lab]:
    """The lab host with its own PID namespace too, so a sweep's look at every process sees
    only this test's processes; ending its init ends everything started in it."""
    keeper = subprocess.Popen(
        ["ip", "netns", "exec", lab.host_ns, "unshare", "--pid", "--fork", "--kill-child",
         "--mount-proc", "sleep", "600"]
    )  # fmt: skip
    init = ""
    try:
        deadline = time.monotonic() + 10
        while not init and time.monotonic() < deadline:
            found = subprocess.run(["pgrep", "-P", str(keeper.pid)], capture_output=True, text=True)
            init = found.stdout.strip()
            time.sleep(0.05)
        assert init.isdigit(), "the PID namespace did not start"
        enter = ("nsenter", "-t", init, "-p", "-m", "-n", "--")
        yield Lab(lab.host_ns, lab.peer_ns, lab.state_dir, lab.ctx, enter)
    finally:
        # the namespace's init dies with unshare (--kill-child), and with it all inside
        keeper.kill()
        keeper.wait(timeout=10)
        if init.isdigit() and Path(f"/proc/{init}").exists():
            os.kill(int(init), signal.SIGKILL)


def test_sweep_clears_every_trace_with_no_record(isolated: Lab, tmp_path: Path) -> None:
    lab = isolated
    area = tmp_path / "area"
    area.mkdir()
    name = "gdw" + secrets.token_hex(4)
    shutil.copy(shutil.which("sleep") or "/bin/sleep", tmp_path / name)
    assert lab.run(f"setsid -f {tmp_path / name} 300 </dev/null >/dev/null 2>&1").status == 0
    plans = [
        lab.plan("{kind: network_partition, ports: [8080]}"),
        lab.plan("{kind: bandwidth, rate: 2mbit}"),
        lab.plan("{kind: cpu_stress, workers: 1, load: 5}"),
        lab.plan(f"{{kind: io_stress, path: {area}, size: 2M}}"),
        lab.plan(f"{{kind: disk_fill, path: {area}, size: 1M, keep_free: 0B}}"),
        lab.plan(f"{{kind: process_pause, process: {name}}}"),
    ]
    for plan in plans:
        result = lab.phase(plan.inject + plan.verify_active)
        assert result.status == 0, f"{plan.kind}: {result.stderr}"
    paths = guard.GuardPaths(str(lab.state_dir))

    def traces() -> list[guard.Trace]:
        """This test's traces: the namespace's chains, qdiscs and processes; files only in
        `area` (/tmp and /var/tmp are shared with the machine: other tests' files stay)."""
        scan = lab.run(guard.traces_script(paths, [str(area)]))
        assert scan.status == 0, scan.stderr
        return [
            t
            for t in guard.parse_traces(scan.stdout)
            if t.kind not in ("fill", "iodir") or t.detail.startswith(f"{area}/")
        ]

    found = traces()
    assert {t.kind for t in found} == {"chain", "qdisc", "stress", "iodir", "fill", "paused"}
    paused = [t for t in found if t.kind == "paused"]
    assert len(paused) == 1 and paused[0].detail.endswith(f"{plans[-1].fault_id}.paused")
    for _ in range(2):  # idempotent
        result = lab.run(guard.clear_traces_script(found, paths))
        assert result.status == 0, result.stderr
    assert traces() == [], "the re-scan still sees traces"
    assert not list(lab.state_dir.glob("*.paused")), "the paused record is removed once resumed"
    for plan in plans:
        result = lab.phase(plan.verify_reverted)
        assert result.status == 0, f"{plan.kind} left a trace: {result.stderr}"
    assert list(area.iterdir()) == []


# --- sudo ----------------------------------------------------------------------------------------


def _shim(tmp_path: Path, body: str) -> str:
    """A `sudo` on PATH standing in for the real one: the line as sent is what runs."""
    folder = tmp_path / "shim"
    folder.mkdir(exist_ok=True)
    sudo = folder / "sudo"
    sudo.write_text("#!/bin/sh\n" + body + "\n")
    sudo.chmod(0o755)
    return f"PATH={shlex.quote(str(folder))}:$PATH; export PATH; "


def test_sudo_plans_run_whole_through_sudo(lab: Lab, tmp_path: Path) -> None:
    log = tmp_path / "sudo.log"
    prefix = _shim(tmp_path, f'[ "$1" = -n ] || exit 9\nshift\necho "$1" >> {log}\nexec "$@"')
    ctx = HostContext("lab-host", 2222, True, str(lab.state_dir))
    sudo_lab = Lab(lab.host_ns, lab.peer_ns, lab.state_dir, ctx)
    for text in ("{kind: network_partition, ports: [8080]}", "{kind: cpu_stress, load: 5}"):
        plan = sudo_lab.plan(text)
        for phase in ("capability", "inject", "verify_active", "revert", "verify_reverted"):
            for line in plan.phases[phase]:
                assert line.startswith("sudo -n ")
                result = lab.run(prefix + line)
                assert result.status == 0, f"{plan.kind} {phase}: {result.stderr}"
    assert set(log.read_text().split()) == {"true", "iptables", "sh"}


def test_a_sudo_that_wants_a_password_never_confirms_a_revert(lab: Lab, tmp_path: Path) -> None:
    prefix = _shim(tmp_path, 'echo "sudo: a password is required" >&2\nexit 1')
    ctx = HostContext("lab-host", 2222, True, str(lab.state_dir))
    for text in EXAMPLES.values():
        plan = parse_fault(load_yaml("s.yaml", text)).plan(ctx, "f1", 60)
        first = lab.run(prefix + plan.capability[0])
        assert first.status == 1 and "password is required" in first.stderr
        if plan.revert_verified:
            assert any(lab.run(prefix + line).status != 0 for line in plan.verify_reverted), (
                f"{plan.kind}: verify_reverted passes although sudo failed"
            )
