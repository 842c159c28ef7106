"""The lab as its users meet it: real SSH with verified keys, metrics in Prometheus, a host cut
off by hand, a second `up` that changes nothing, a `down` that leaves nothing behind."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import paramiko
import pytest
from prometheus_api_client import PrometheusConnect

from gameday import lab as gdlab
from gameday.cli import main
from gameday.core.formats.inventory_loader import load_inventory
from gameday.core.formats.scenario import load_scenario
from gameday.errors import LabError
from gameday.lab import LabConfig, LabHost, LabInfo
from tests.lab.conftest import OWNER_FILE, LabDir, free_port, lab_unavailable

pytestmark = [pytest.mark.lab, pytest.mark.slow]


def run(argv: list[str], timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def gameday_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "gameday.cli", *args], timeout=120.0)


def eventually(check: Callable[[], object], timeout: float, what: str) -> object:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.5)
    pytest.fail(f"after {timeout:g} s: {what} (last value: {last!r})")


def ssh_client(lab: LabInfo, host: LabHost, known_hosts: Path | None = None) -> paramiko.SSHClient:
    """Log in as the docs say: the lab's key, host keys only from the lab's known_hosts."""
    client = paramiko.SSHClient()
    client.get_host_keys().load(str(known_hosts or lab.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(
        host.address,
        port=22,
        username="root",
        key_filename=str(lab.key),
        look_for_keys=False,
        allow_agent=False,
        timeout=5,
        banner_timeout=5,
        auth_timeout=5,
    )
    return client


def ssh_run(client: paramiko.SSHClient, command: str) -> str:
    _, stdout, stderr = client.exec_command(command, timeout=10)
    output = stdout.read().decode()
    assert stdout.channel.recv_exit_status() == 0, stderr.read().decode()
    return output


def sha256_fingerprint(public_key_file: Path) -> str:
    blob = base64.b64decode(public_key_file.read_text().split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def prometheus(lab: LabInfo) -> PrometheusConnect:
    return PrometheusConnect(url=lab.prometheus_url, disable_ssl=True, timeout=5)


def per_host(lab: LabInfo, query: str) -> dict[str, float]:
    return {
        series["metric"].get("host", ""): float(series["value"][1])
        for series in prometheus(lab).custom_query(query)
    }


def in_host(host: LabHost, *argv: str) -> subprocess.CompletedProcess[str]:
    return run(host.enter(*argv))


# --- SSH ----------------------------------------------------------------------------------


def test_each_host_is_reached_over_ssh_with_its_own_name_and_private_process_table(
    lab: LabInfo,
) -> None:
    for host in lab.hosts:
        with ssh_client(lab, host) as client:
            assert ssh_run(client, "hostname").strip() == host.name
            processes = ssh_run(client, "ps -e --no-headers -o comm").split()
            # Its own PID namespace: its init, sshd (+ this session), node_exporter, the shop.
            assert len(processes) < 15, processes
            assert "shop" in processes
            assert ssh_run(client, "cat /proc/1/comm").strip() == "lab-init"
            assert "stress-ng" not in processes
            private = ssh_run(client, "stat -f -c %T /tmp /var/tmp /var/lib/gameday")
            assert private.split() == ["tmpfs", "tmpfs", "tmpfs"]


def test_sshd_log_names_the_lab_key_that_logged_in(lab: LabInfo) -> None:
    host = lab.hosts[0]
    with ssh_client(lab, host) as client:
        ssh_run(client, "true")
    fingerprint = sha256_fingerprint(lab.key.with_name(lab.key.name + ".pub"))
    log = eventually(lambda: fingerprint in host.sshd_log.read_text(), 5, "the login in sshd's log")
    assert log
    assert re.search(
        rf"Accepted publickey for root from \S+ port \d+ ssh2: ED25519 {re.escape(fingerprint)}",
        host.sshd_log.read_text(),
    )


def test_a_host_presenting_another_hosts_key_is_rejected(lab: LabInfo, tmp_path: Path) -> None:
    first, second = lab.hosts[0], lab.hosts[1]
    lines = lab.known_hosts.read_text().splitlines()
    second_key = next(line for line in lines if line.startswith(second.address + " "))
    wrong = tmp_path / "known_hosts"
    wrong.write_text(second_key.replace(second.address, first.address, 1) + "\n")
    with pytest.raises(paramiko.BadHostKeyException):
        ssh_client(lab, first, known_hosts=wrong)


def test_plain_openssh_logs_in_with_the_printed_options(lab: LabInfo) -> None:
    host = lab.hosts[-1]
    argv = lab.ssh_argv(host.name, "hostname")
    result = run([argv[0], "-o", "BatchMode=yes", *argv[1:]])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == host.name


# --- metrics ------------------------------------------------------------------------------


def test_every_hosts_shop_traffic_is_in_prometheus(lab: LabInfo) -> None:
    names = {h.name for h in lab.hosts}

    def rates() -> dict[str, float] | None:
        found = per_host(lab, "sum by (host) (rate(shop_requests_total[15s]))")
        return found if set(found) == names and all(v > 1 for v in found.values()) else None

    eventually(rates, 30, "shop request rate > 1/s for every host in Prometheus")
    up = per_host(lab, 'up{job="node"}')
    assert up == dict.fromkeys(names, 1.0)


def test_cutting_a_host_off_moves_its_error_rate_and_only_its(lab: LabInfo) -> None:
    victim = lab.hosts[1]
    errors = "sum by (host) (rate(loadgen_errors_total[5s]))"
    eventually(
        lambda: per_host(lab, errors).get(victim.name) == 0.0,
        30,
        f"{victim.name} has no errors before the cut",
    )
    rule = ["INPUT", "-p", "tcp", "--dport", "8080", "-j", "DROP"]
    cut = run(["ip", "netns", "exec", victim.netns, "iptables", "-I", *rule])
    assert cut.returncode == 0, cut.stderr
    try:
        during = eventually(
            lambda: (r := per_host(lab, errors)).get(victim.name, 0) > 5 and r,
            30,
            f"{victim.name}'s error rate to rise while it is cut off",
        )
        assert isinstance(during, dict)
        others = {h: v for h, v in during.items() if h != victim.name}
        assert all(v < 1 for v in others.values()), during
    finally:
        run(["ip", "netns", "exec", victim.netns, "iptables", "-D", *rule])
    eventually(
        lambda: (
            per_host(lab, "sum by (host) (rate(loadgen_errors_total[3s]))").get(victim.name) == 0.0
        ),
        30,
        f"{victim.name}'s errors to stop once the rule is gone",
    )


# --- supervisor and status ----------------------------------------------------------------


def test_a_killed_shop_is_restarted_by_the_host(lab: LabInfo) -> None:
    host = lab.hosts[2]
    before = in_host(host, "pgrep", "-x", "shop").stdout.split()
    assert len(before) == 1
    assert in_host(host, "pkill", "-KILL", "-x", "shop").returncode == 0
    after = eventually(
        lambda: (
            (pids := in_host(host, "pgrep", "-x", "shop").stdout.split())
            and pids != before
            and pids
        ),
        10,
        "a new shop process",
    )
    assert after
    eventually(
        lambda: gdlab.status(lab.dir).hosts[2].shop, 10, "the restarted shop to answer /health"
    )


def test_status_shows_faults_left_on_a_host_and_a_clean_host(lab: LabInfo) -> None:
    host = lab.hosts[0]
    setup = [
        ["tc", "qdisc", "add", "dev", "eth0", "root", "tbf", "rate", "1mbit", "burst", "32k",
         "latency", "400ms"],
        ["iptables", "-N", "GAMEDAY-labtest"],
        ["fallocate", "-l", "1M", "/var/tmp/.gameday-fill-labtest"],
    ]  # fmt: skip
    try:
        for argv in setup:
            assert in_host(host, *argv).returncode == 0
        report = gdlab.status(lab.dir)
        faults = report.hosts[0].faults
        assert "qdisc tbf on eth0" in faults
        assert "iptables chain GAMEDAY-labtest" in faults
        assert "fill file /var/tmp/.gameday-fill-labtest" in faults
        assert report.hosts[1].faults == ()
        cli = gameday_cli("lab", "status", "--dir", str(lab.dir))
        assert "GAMEDAY-labtest" in cli.stdout
    finally:
        in_host(host, "tc", "qdisc", "del", "dev", "eth0", "root")
        in_host(host, "iptables", "-X", "GAMEDAY-labtest")
        in_host(host, "rm", "-f", "/var/tmp/.gameday-fill-labtest")
    clean = gdlab.status(lab.dir)
    assert clean.hosts[0].faults == ()
    assert clean.healthy


def test_the_fill_file_stays_on_its_own_host(lab: LabInfo) -> None:
    first, second = lab.hosts[0], lab.hosts[1]
    try:
        assert in_host(first, "touch", "/var/tmp/.gameday-fill-private").returncode == 0
        assert in_host(second, "test", "-e", "/var/tmp/.gameday-fill-private").returncode == 1
        assert not Path("/var/tmp/.gameday-fill-private").exists()
    finally:
        in_host(first, "rm", "-f", "/var/tmp/.gameday-fill-private")


# --- files written by up ------------------------------------------------------------------


def test_inventory_and_scenarios_load_with_gamedays_own_readers(lab: LabInfo) -> None:
    inventory = load_inventory(lab.inventory)
    assert [h.name for h in inventory.hosts.values()] == [h.name for h in lab.hosts]
    for host in lab.hosts:
        entry = inventory.hosts[host.name]
        assert entry.address == host.address
        assert entry.identity_file == str(lab.key)
        assert dict(entry.tags) == {"role": "web", "env": "lab", "zone": host.zone, "lab": lab.name}
    assert inventory.known_hosts == str(lab.known_hosts)
    assert inventory.prometheus is not None
    assert inventory.prometheus.url == lab.prometheus_url
    scenarios = sorted(lab.scenarios_dir.glob("*.yaml"))
    kinds = {fault.kind for path in scenarios for fault in load_scenario(path).faults}
    assert kinds >= {"network_partition", "process_kill", "cpu_stress", "bandwidth",
                     "disk_fill", "process_pause", "network_latency"}  # fmt: skip


# --- idempotence and teardown -------------------------------------------------------------


def netns_and_links() -> tuple[str, str]:
    return run(["ip", "netns", "list"]).stdout, run(["ip", "-o", "link", "show"]).stdout


def test_up_again_changes_nothing(lab: LabInfo) -> None:
    before = lab_links(lab.name)
    port = lab.prometheus_url.rsplit(":", 1)[1]
    loadgen_port = lab.loadgen_url.rsplit(":", 1)[1]
    again = gameday_cli(
        "lab", "up", "--name", lab.name, "--dir", str(lab.dir), "--prometheus-port", port,
        "--loadgen-port", loadgen_port,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "already exists" in again.stdout
    assert "started" not in again.stdout
    assert gdlab.info(lab.dir) == lab  # same hosts, same init processes
    assert lab_links(lab.name) == before


def test_lab_name_and_root_are_checked_with_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_name = gameday_cli("lab", "up", "--name", "Bad;Name")
    assert bad_name.returncode == 2
    assert "lab name" in bad_name.stderr
    assert "Traceback" not in bad_name.stderr
    # As another user in-process: a checkout under a private home is not readable by nobody.
    monkeypatch.setattr(os, "geteuid", lambda: 65534)
    assert main(["lab", "status"]) == 2
    assert "needs root" in capsys.readouterr().err


def lab_processes(marker: str) -> list[str]:
    """Processes on this machine whose command line mentions `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline:
            found.append(f"{entry.name}: {cmdline}")
    return found


def test_down_leaves_no_namespace_link_rule_process_or_file() -> None:
    reason = lab_unavailable()
    if reason:
        pytest.skip(reason)
    name = f"gdd{os.getpid() % 100000}"
    directory = LabDir("down-")
    state_dir_existed = Path("/var/lib/gameday").exists()
    rules_before = run(["iptables", "-S"]).stdout, run(["iptables", "-t", "nat", "-S"]).stdout
    try:
        config = LabConfig(
            name=name, dir=directory.path, hosts=2, prometheus_port=free_port(),
            loadgen_port=free_port(),
        )  # fmt: skip
        info = gdlab.up(config)
        netns, links = netns_and_links()
        assert f"{name}-1" in netns
        assert f"{name}-br" in links
        assert lab_processes(str(directory.path))
        pids = [h.init_pid for h in info.hosts]

        down = gameday_cli("lab", "down", "--dir", str(directory.path))
        assert down.returncode == 0, down.stderr

        netns, links = netns_and_links()
        assert name not in netns
        assert name not in links
        assert lab_processes(str(directory.path)) == []
        assert all(not Path(f"/proc/{pid}").exists() or
                   "Z" in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
                   for pid in pids)  # fmt: skip
        assert (run(["iptables", "-S"]).stdout, run(["iptables", "-t", "nat", "-S"]).stdout) == (
            rules_before
        )
        assert [p.name for p in directory.path.iterdir()] == [OWNER_FILE]  # the test's own
        assert Path("/var/lib/gameday").exists() == state_dir_existed
        again = gameday_cli("lab", "down", "--dir", str(directory.path))
        assert again.returncode == 0
        assert "nothing to remove" in again.stdout
    finally:
        gdlab.down(directory.path)
        directory.remove()


def lab_links(name: str) -> list[str]:
    netns, links = netns_and_links()
    return [line for line in (netns + links).splitlines() if name in line]


def test_up_repairs_a_dead_host_a_lost_namespace_and_a_dead_prometheus() -> None:
    reason = lab_unavailable()
    if reason:
        pytest.skip(reason)
    name = f"gdr{os.getpid() % 100000}"
    directory = LabDir("repair-")
    try:
        config = LabConfig(
            name=name, dir=directory.path, hosts=2, prometheus_port=free_port(),
            loadgen_port=free_port(),
        )  # fmt: skip
        first = gdlab.up(config)
        links_before = sorted(lab_links(name))
        state = json.loads((directory.path / "state.json").read_text())
        os.kill(first.hosts[0].init_pid, signal.SIGKILL)
        os.kill(state["prometheus"]["pid"], signal.SIGKILL)
        assert run(["ip", "netns", "delete", first.hosts[1].netns]).returncode == 0

        second = gdlab.up(config)

        assert all(a.init_pid != b.init_pid for a, b in zip(first.hosts, second.hosts, strict=True))
        assert gdlab.status(directory.path).healthy
        assert sorted(lab_links(name)) != [] and len(lab_links(name)) == len(links_before)
        inits = [p for p in lab_processes(str(directory.path)) if "gameday.lab.supervisor" in p]
        assert len(inits) == 4, inits  # one unshare + one init per host, nothing doubled
        for host in second.hosts:
            result = run(host.enter("hostname"))
            assert result.stdout.strip() == host.name
    finally:
        gdlab.down(directory.path)
        directory.remove()
    assert lab_links(name) == []
    assert lab_processes(str(directory.path)) == []


def test_an_up_that_fails_half_way_is_reported_and_down_removes_what_it_made() -> None:
    reason = lab_unavailable()
    if reason:
        pytest.skip(reason)
    name = f"gdf{os.getpid() % 100000}"
    directory = LabDir("failed-")
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        config = LabConfig(name=name, dir=directory.path, hosts=1, prometheus_port=taken)
        try:
            with pytest.raises(LabError, match=f"127.0.0.1:{taken}.*taken"):
                gdlab.up(config)
            assert lab_links(name)  # the namespace and bridge were made before the port check
        finally:
            gdlab.down(directory.path)
            directory.remove()
    assert lab_links(name) == []
    assert lab_processes(str(directory.path)) == []
