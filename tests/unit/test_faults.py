"""The fault catalog: what a scenario author may write, what is refused, and what a host runs."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gameday.core.faults import KINDS, FaultPlan, FaultSpec, HostContext, parse_fault
from gameday.core.faults.disk import DiskFill
from gameday.core.faults.network import NetworkPartition, chain_prefix
from gameday.core.faults.process import ProcessKill
from gameday.core.faults.reference import EXAMPLES
from gameday.core.faults.stress import CpuStress, IoStress, MemoryStress
from gameday.core.faults.tc import NETEM_MISSING, Bandwidth, format_rate, parse_rate, tc_time
from gameday.core.shell import render
from gameday.core.yamlsrc import load_yaml
from gameday.errors import InputError

HOST = HostContext("web-1")
Spec = TypeVar("Spec")


def fault(text: str) -> FaultSpec:
    return parse_fault(load_yaml("scenario.yaml", text))


def fault_as(kind: type[Spec], text: str) -> Spec:
    """The fault `text` parses to, asserted to be of that kind (to read its own fields)."""
    spec = fault(text)
    assert isinstance(spec, kind), spec
    return spec


def plan(text: str, ctx: HostContext = HOST, fault_id: str = "f1a2b3c4") -> FaultPlan:
    return fault(text).plan(ctx, fault_id, 120)


def refused(text: str) -> InputError:
    with pytest.raises(InputError) as caught:
        fault(text)
    return caught.value


def all_lines(p: FaultPlan) -> list[str]:
    return [line for lines in p.phases.values() for line in lines]


# --- parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_parses_from_yaml_into_a_frozen_spec(kind: str) -> None:
    spec = fault(EXAMPLES[kind])
    assert spec.kind == kind
    assert spec.line == 1
    with pytest.raises(AttributeError):
        spec.kind = "other"  # type: ignore[misc]


def test_a_name_label_is_kept() -> None:
    assert fault("{kind: cpu_stress, name: hot cpus}").name == "hot cpus"


def test_defaults_are_the_documented_ones() -> None:
    cpu = fault_as(CpuStress, "{kind: cpu_stress}")
    assert (cpu.workers, cpu.load) == (0, 100)
    part = fault_as(NetworkPartition, "{kind: network_partition}")
    assert (part.direction, part.protocol, part.ports) == ("both", "all", ())
    assert fault_as(NetworkPartition, "{kind: network_partition, ports: [80]}").protocol == "tcp"
    disk = fault_as(DiskFill, "{kind: disk_fill, size: 1G}")
    assert (disk.path, disk.keep_free) == ("/var/tmp", 512 * 1024**2)
    bw = fault_as(Bandwidth, "{kind: bandwidth, rate: 10mbit}")
    assert (bw.interface, bw.burst) == ("auto", 32 * 1024)
    kill = fault_as(ProcessKill, "{kind: process_kill, process: nginx}")
    assert (kill.signal, kill.restart) == ("KILL", None)
    io = fault_as(IoStress, "{kind: io_stress}")
    assert (io.path, io.size, io.workers) == ("/tmp", 128 * 1024**2, 1)


def test_unknown_kind_lists_the_known_kinds_and_suggests_one() -> None:
    err = refused("{kind: cpu_stres}")
    assert err.field == "kind"
    assert "did you mean cpu_stress" in err.problem
    for kind in KINDS:
        assert kind in err.problem


def test_unknown_key_is_an_error_naming_it() -> None:
    err = refused("kind: cpu_stress\nload: 50\ncores: 4\n")
    assert err.field == "cores"
    assert err.line == 3
    assert "unknown key" in err.problem


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("{kind: network_latency}", "delay"),
        ("{kind: packet_loss}", "percent"),
        ("{kind: bandwidth}", "rate"),
        ("{kind: disk_fill}", "size"),
        ("{kind: process_kill}", "process"),
        ("{kind: process_pause}", "process"),
        ("{kind: service_stop}", "service"),
        ("{kind: custom, revert: 'true'}", "inject"),
        ("{kind: custom, inject: 'true'}", "revert"),
        ("{name: x}", "kind"),
    ],
)
def test_a_missing_required_parameter_is_named(text: str, field: str) -> None:
    assert refused(text).field == field


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{kind: process_kill, process: "x; rm -rf /"}', "process"),
        ('{kind: process_pause, process: "$(reboot)"}', "process"),
        ('{kind: process_kill, process: "-9"}', "process"),
        ("{kind: process_kill, process: sshd}", "process"),
        ("{kind: process_pause, process: sh}", "process"),
        ('{kind: network_latency, delay: 10ms, interface: "eth0;reboot"}', "interface"),
        ('{kind: bandwidth, rate: 1mbit, interface: "eth0 up"}', "interface"),
        ('{kind: packet_loss, percent: 1, interface: "../x"}', "interface"),
        ("{kind: disk_fill, size: 1G, path: ../../etc}", "path"),
        ("{kind: disk_fill, size: 1G, path: /var/../etc}", "path"),
        ('{kind: io_stress, path: "/tmp/a\\nb"}', "path"),
        ("{kind: io_stress, path: tmp}", "path"),
        ('{kind: service_stop, service: "nginx; reboot"}', "service"),
        ("{kind: service_stop, service: -nginx}", "service"),
        ("{kind: network_partition, peers: [10.0.0.0/33]}", "peers[0]"),
        ('{kind: network_partition, peers: ["10.0.0.1; reboot"]}', "peers[0]"),
        ("{kind: network_partition, peers: [10.0.0.5/24]}", "peers[0]"),
        ("{kind: network_partition, peers: ['2001:db8::1/32']}", "peers[0]"),
        ("{kind: network_partition, ports: [0]}", "ports[0]"),
        ("{kind: network_partition, ports: [65536]}", "ports[0]"),
        ("{kind: network_partition, ports: ['22; reboot']}", "ports[0]"),
        ("{kind: network_partition, direction: sideways}", "direction"),
        ("{kind: network_partition, protocol: icmp}", "protocol"),
        ("{kind: process_kill, process: nginx, signal: SEGV}", "signal"),
        ("{kind: cpu_stress, load: 0}", "load"),
        ("{kind: cpu_stress, load: 101}", "load"),
        ("{kind: cpu_stress, workers: -1}", "workers"),
        ("{kind: cpu_stress, workers: many}", "workers"),
        ("{kind: memory_stress, size: 10}", "size"),
        ("{kind: memory_stress, keep_available: lots}", "keep_available"),
        ("{kind: packet_loss, percent: 0}", "percent"),
        ("{kind: packet_loss, percent: 101}", "percent"),
        ("{kind: network_latency, delay: 100}", "delay"),
        ("{kind: network_latency, delay: 2m}", "delay"),
        ("{kind: bandwidth, rate: 1mbps}", "rate"),
        ("{kind: bandwidth, rate: 1kbit}", "rate"),
        ("{kind: bandwidth, rate: 1mbit, burst: 100B}", "burst"),
        ("{kind: disk_fill, size: lots}", "size"),
        ("{kind: custom, inject: '', revert: 'true'}", "inject"),
        ('{kind: custom, inject: "a\\0b", revert: "true"}', "inject"),
        ('{kind: custom, inject: "true", revert: "x\\x1b[2J"}', "revert"),
        ('{kind: process_kill, process: nginx, restart: "a\\0"}', "restart"),
        ('{kind: cpu_stress, name: "two\\nlines"}', "name"),
    ],
)
def test_bad_or_malicious_parameters_are_input_errors_naming_the_field(
    text: str, field: str
) -> None:
    err = refused(text)
    assert err.field == field, err.message
    assert err.file == "scenario.yaml"


def test_a_long_process_name_says_what_linux_keeps() -> None:
    err = refused("{kind: process_kill, process: prometheus-node-exporter}")
    assert "'prometheus-node'" in err.problem


def test_a_cidr_with_host_bits_suggests_the_network() -> None:
    assert (
        "did you mean 10.0.0.0/24"
        in refused("{kind: network_partition, peers: [10.0.0.5/24]}").problem
    )


def test_signal_accepts_sig_prefix_and_lower_case() -> None:
    killed = fault_as(ProcessKill, "{kind: process_kill, process: nginx, signal: sigterm}")
    assert killed.signal == "TERM"


# --- values never change the shape of a command ----------------------------------------------

SCALAR = st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=20)


@settings(max_examples=200)
@given(SCALAR, st.sampled_from(["process_kill", "process_pause", "service_stop"]))
def test_any_name_is_refused_or_reaches_the_host_as_one_plain_word(name: str, kind: str) -> None:
    key = "service" if kind == "service_stop" else "process"
    text = f"kind: {kind}\n{key}: {_yaml_str(name)}\n"
    try:
        p = plan(text)
    except InputError as err:
        assert err.field == key
        return
    assert re.fullmatch(r"[A-Za-z0-9_.@:+-]+", name)
    for line in all_lines(p):
        shlex.split(line)  # every line is well formed


@settings(max_examples=200)
@given(SCALAR)
def test_any_interface_is_refused_or_a_plain_word(name: str) -> None:
    text = f"kind: bandwidth\nrate: 1mbit\ninterface: {_yaml_str(name)}\n"
    try:
        p = plan(text)
    except InputError as err:
        assert err.field == "interface"
        return
    assert name == "auto" or re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,14}", name)
    assert p.inject


@settings(max_examples=200)
@given(SCALAR)
def test_any_path_is_refused_or_absolute_without_dotdot(path: str) -> None:
    text = f"kind: disk_fill\nsize: 1M\npath: {_yaml_str(path)}\n"
    try:
        spec = fault_as(DiskFill, text)
    except InputError as err:
        assert err.field == "path"
        return
    kept = spec.path
    assert kept.startswith("/") and ".." not in kept.split("/")
    assert not re.search(r"[\x00-\x1f\x7f]", kept)
    assert re.fullmatch(r"[A-Za-z0-9._/@+=,:%~-]+", kept)


@pytest.mark.parametrize(
    "path", ["/tmp/$(reboot)", "/var/tmp/a;b", "/data/`id`", "/srv/my dir", "/tmp/'x'", "/a|b"]
)
def test_a_path_with_shell_characters_is_refused_naming_the_field(path: str) -> None:
    with pytest.raises(InputError) as caught:
        fault(f"kind: disk_fill\nsize: 1M\npath: {_yaml_str(path)}\n")
    assert caught.value.field == "path"
    assert "shell characters" in caught.value.problem


def _yaml_str(text: str) -> str:
    """A YAML double-quoted scalar holding exactly `text`."""
    import json

    return json.dumps(text)


# --- host context ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_sudo_prefixes_every_privileged_line_in_every_phase(kind: str) -> None:
    with_sudo = fault(EXAMPLES[kind]).plan(HostContext("h", sudo=True), "f1", 60)
    without = fault(EXAMPLES[kind]).plan(HostContext("h"), "f1", 60)
    for phase, lines in with_sudo.phases.items():
        for line in lines:
            if line == "true":  # an explicit "nothing to check" placeholder
                continue
            assert line.startswith("sudo -n "), f"{phase}: {line}"
        assert [line.removeprefix("sudo -n ") for line in lines if line != "sudo -n true"] == [
            line for line in without.phases[phase]
        ], phase
    assert with_sudo.capability[0] == "sudo -n true"
    assert not any("sudo" in line for line in all_lines(without) if kind != "custom")


@pytest.mark.parametrize("fault_id", ["", "F1", "a b", "x;y", "a" * 33, "../x"])
def test_a_fault_id_outside_the_pattern_is_refused(fault_id: str) -> None:
    with pytest.raises(ValueError):
        fault("{kind: cpu_stress}").plan(HOST, fault_id, 60)


def test_a_relative_state_dir_is_refused() -> None:
    with pytest.raises(ValueError):
        fault("{kind: cpu_stress}").plan(HostContext("h", state_dir="state"), "f1", 60)


def test_a_trailing_slash_on_the_state_dir_changes_nothing() -> None:
    with_slash = plan("{kind: cpu_stress}", HostContext("h", state_dir="/run/gd/"))
    assert with_slash == plan("{kind: cpu_stress}", HostContext("h", state_dir="/run/gd"))


def test_state_files_live_under_the_state_dir_named_by_fault_id() -> None:
    p = plan("{kind: cpu_stress}", HostContext("h", state_dir="/run/gd"), "abc-1")
    text = " ".join(all_lines(p))
    assert "/run/gd/abc-1.pgid" in text and "/run/gd/abc-1.log" in text
    assert "/var/lib/gameday" not in text


# --- network_partition ----------------------------------------------------------------------


@settings(max_examples=100)
@given(
    st.sampled_from(["ingress", "egress", "both"]),
    st.lists(st.integers(1, 65535), max_size=4, unique=True),
    st.lists(st.sampled_from(["10.0.0.0/24", "192.0.2.7", "0.0.0.0/0"]), max_size=2, unique=True),
    st.sampled_from(["tcp", "udp", "all"]),
    st.integers(1, 65535),
)
def test_the_ssh_port_is_exempted_before_any_drop(
    direction: str, ports: list[int], peers: list[str], protocol: str, ssh_port: int
) -> None:
    text = (
        f"kind: network_partition\ndirection: {direction}\nprotocol: {protocol}\n"
        + (f"ports: {ports}\n" if ports else "")
        + (f"peers: {peers}\n" if peers else "")
    )
    p = plan(text, HostContext("h", ssh_port=ssh_port))
    plain = [shlex.split(line) for line in p.inject if line.startswith("iptables")]
    rules = [r for r in plain if r[3] == "-A"]
    chains = {r[4] for r in rules}
    assert chains, "a partition always builds a chain"
    for chain in chains:
        mine = [r[5:] for r in rules if r[4] == chain]
        port_flag = "--dport" if chain.endswith("-in") else "--sport"
        ssh = mine.index(["-p", "tcp", port_flag, str(ssh_port), "-j", "RETURN"])
        drops = [i for i, r in enumerate(mine) if r[-1] == "DROP"]
        assert drops and ssh < min(drops)
        # the jump is the last line of its chain's block: a hooked chain is complete
        block = [r for r in plain if chain in r]
        assert block[-1][3] == "-I"
    for line in p.inject:  # the guarded IPv6 half, one script per chain, in the same order
        if not line.startswith("iptables"):
            body = shlex.split(line)[2]
            flag = "--dport" if "-in " in body else "--sport"
            ssh_rule = f"-p tcp {flag} {ssh_port} -j RETURN"
            assert ssh_rule in body and body.index(ssh_rule) < body.index("-j DROP")
            assert body.rstrip("; }").split(" && ")[-1].split()[3] == "-I"


def test_directions_build_their_chains() -> None:
    assert all(
        "-in" in line for line in plan("{kind: network_partition, direction: ingress}").inject
    )
    assert all(
        "-out" in line for line in plan("{kind: network_partition, direction: egress}").inject
    )


def test_a_partition_from_every_ipv4_peer_keeps_only_lo_and_ssh() -> None:
    p = plan("{kind: network_partition, direction: ingress, peers: [0.0.0.0/0]}")
    assert p.inject == (
        "iptables -w 5 -N GAMEDAY-f1a2b3c4-in",
        "iptables -w 5 -A GAMEDAY-f1a2b3c4-in -i lo -j RETURN",
        "iptables -w 5 -A GAMEDAY-f1a2b3c4-in -p tcp --dport 22 -j RETURN",
        "iptables -w 5 -A GAMEDAY-f1a2b3c4-in -s 0.0.0.0/0 -j DROP",
        "iptables -w 5 -I INPUT 1 -j GAMEDAY-f1a2b3c4-in",
    )


def test_peers_decide_the_families_and_no_peers_cut_ipv6_where_the_kernel_has_it() -> None:
    v4 = plan("{kind: network_partition, peers: [10.0.0.0/8]}")
    assert not any("ip6tables" in line for line in all_lines(v4))
    v6 = plan("{kind: network_partition, direction: ingress, peers: ['2001:db8::/32']}")
    assert not any(line.startswith("iptables") for line in all_lines(v6))
    assert "ip6tables -w 5 -A GAMEDAY-f1a2b3c4-in -s 2001:db8::/32 -j DROP" in v6.inject
    both = plan("{kind: network_partition, direction: ingress}")
    guarded = [line for line in both.inject if "ip6tables" in line]
    assert len(guarded) == 1
    assert shlex.split(guarded[0])[2].startswith("[ ! -e /proc/net/if_inet6 ] || { ip6tables -w 5")
    assert "IPv4 and IPv6" in both.summary


def test_protocol_all_with_ports_drops_tcp_and_udp() -> None:
    p = plan("{kind: network_partition, direction: egress, ports: [53], protocol: all}")
    drops = [line for line in p.inject if line.endswith("DROP")]
    assert drops == [
        "iptables -w 5 -A GAMEDAY-f1a2b3c4-out -p tcp --dport 53 -j DROP",
        "iptables -w 5 -A GAMEDAY-f1a2b3c4-out -p udp --dport 53 -j DROP",
    ]


def test_cutting_the_ssh_port_itself_is_said_not_done() -> None:
    p = plan("{kind: network_partition, ports: [22, 80]}")
    assert "port 22 is the console's SSH port and is NOT cut" in p.summary


def test_long_fault_ids_still_give_valid_chain_names() -> None:
    long_id = "a" * 32
    p = plan("{kind: network_partition}", fault_id=long_id)
    for line in p.inject:
        for word in shlex.split(line):
            if word.startswith("GAMEDAY-"):
                assert len(word) <= 28
    assert chain_prefix(long_id) != chain_prefix("a" * 31)


def test_too_many_rules_is_an_error() -> None:
    ports = list(range(1, 200))
    err = refused(f"{{kind: network_partition, ports: {ports}, peers: [10.0.0.0/8, 10.1.0.0/16]}}")
    assert "rules" in err.problem


# --- tc ----------------------------------------------------------------------------------------


def test_netem_capability_tries_netem_in_a_scratch_namespace_with_a_clear_message() -> None:
    p = plan("{kind: network_latency, delay: 50ms, interface: eth0}")
    probe = [line for line in p.capability if "netem delay 1ms" in line]
    assert len(probe) == 1
    body = shlex.split(probe[0])[2]
    assert body.startswith(
        "unshare -n tc qdisc add dev lo root netem delay 1ms >/dev/null 2>&1 || "
    )
    assert shlex.quote(NETEM_MISSING) in body
    assert NETEM_MISSING == (
        "kernel has no netem (sch_netem): latency and loss faults cannot run on this host"
    )
    loss = plan("{kind: packet_loss, percent: 1, interface: eth0}")
    assert probe[0] in loss.capability
    assert not any("netem" in line for line in plan("{kind: bandwidth, rate: 1mbit}").capability)


def test_an_existing_foreign_root_qdisc_is_refused_not_replaced() -> None:
    p = plan("{kind: bandwidth, rate: 1mbit, interface: eth0}")
    refuse = [line for line in p.capability if "will not replace" in line]
    assert len(refuse) == 1
    assert not any("replace" in line and "tc qdisc replace" in line for line in all_lines(p))


ROOT_QDISC_CASES = [
    ("qdisc noqueue 0: root refcnt 2", None),
    ("qdisc mq 0: root\nqdisc fq_codel 0: parent :1 limit 10240p flows 1024", None),
    ("qdisc ingress ffff: parent ffff:fff1 ----------------\nqdisc noqueue 0: root refcnt 2", None),
    ("qdisc noqueue 0: root * refcnt 2", None),
    ("qdisc tbf 1: root refcnt 2 rate 5Mbit burst 32Kb lat 50.0ms", "tbf 1:"),
    ("qdisc htb 67fd: root refcnt 2 r2q 10\nqdisc tbf 68fd: parent 67fd:2 rate 1Mbit", "htb 67fd:"),
    ("", None),
]


@pytest.mark.parametrize(("shown", "foreign"), ROOT_QDISC_CASES)
def test_the_root_qdisc_check_reads_tc_output_as_awk_did(
    tmp_path: Path, shown: str, foreign: str | None
) -> None:
    # A stand-in `tc` prints canned output: the real one is run in test_faults_netns.py; here
    # every shape of its output is covered, which a real interface cannot show at once.
    refuse = next(line for line in plan("{kind: bandwidth, rate: 1mbit}").capability
                  if "will not replace" in line)  # fmt: skip
    result = _with_fake_tc(tmp_path, f"printf '{shown}\\n'", refuse)
    if foreign is None:
        assert (result.returncode, result.stderr) == (0, "")
    else:
        assert result.returncode == 1
        said = f"eth0 already has a root qdisc ({foreign}); gameday will not replace it\n"
        assert result.stderr == said


def test_the_root_qdisc_check_fails_when_tc_does(tmp_path: Path) -> None:
    refuse = next(line for line in plan("{kind: bandwidth, rate: 1mbit}").capability
                  if "will not replace" in line)  # fmt: skip
    assert _with_fake_tc(tmp_path, "exit 2", refuse).returncode == 1


def _with_fake_tc(folder: Path, body: str, line: str) -> subprocess.CompletedProcess[str]:
    fake = folder / "tc"
    fake.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    fake.chmod(0o755)
    default_route = folder / "ip"  # interface: auto asks `ip route` for the device
    default_route.write_text("#!/bin/sh\necho 'default via 10.0.0.1 dev eth0'\n", "utf-8")
    default_route.chmod(0o755)
    env = {**os.environ, "PATH": f"{folder}:{os.environ['PATH']}"}
    return subprocess.run(line, shell=True, env=env, capture_output=True, text=True, timeout=10)


def test_netem_commands_are_exact() -> None:
    shaped = "tc qdisc add dev ens3 parent 673a:2 handle 683a: netem"
    sub_ms = plan("{kind: network_latency, delay: 1.5ms, interface: ens3}")
    assert sub_ms.inject[3] == f"{shaped} delay 1500us"
    latency = plan("{kind: network_latency, delay: 1.5s, jitter: 250ms, interface: ens3}")
    assert latency.inject[3] == f"{shaped} delay 1500ms 250ms"
    loss = plan("{kind: packet_loss, percent: 0.5, interface: ens3}")
    assert loss.inject[3] == f"{shaped} loss 0.5%"


@pytest.mark.parametrize(
    "fault",
    [
        "{kind: network_latency, delay: 100ms, interface: ens3}",
        "{kind: packet_loss, percent: 5, interface: ens3}",
        "{kind: bandwidth, rate: 1mbit, interface: ens3}",
    ],
)
def test_shaping_faults_exempt_the_consoles_ssh_port(fault: str) -> None:
    """The console's own path (lease, kill switch) is never shaped: its port goes to an
    unshaped class, in both directions, IPv4 and IPv6; the preview says so."""
    spec = parse_fault(load_yaml("s.yaml", fault))
    shaped = spec.plan(HostContext("web-1", ssh_port=2222), "f1a2b3c4", 120)
    assert shaped.inject[0] == "tc qdisc add dev ens3 root handle 673a: htb default 2"
    filters = [line for line in shaped.inject if " filter " in line]
    assert filters == [
        f"tc filter add dev ens3 parent 673a: protocol {proto} prio {prio} u32 match {sel} "
        f"{way} 2222 0xffff flowid 673a:1"
        for proto, prio, sel in (("ip", 1, "ip"), ("ipv6", 2, "ip6"))
        for way in ("sport", "dport")
    ]
    assert "the console's SSH port 2222 is exempt" in shaped.summary
    assert "flowid 673a:1" in shaped.verify_active[0], "verify checks the exemption is there"


def test_auto_interface_uses_the_constant_default_route_fragment() -> None:
    fragment = (
        "dev=$(ip -o route show default | "
        "awk '{for (i = 1; i < NF; i++) if ($i == \"dev\") {print $(i + 1); exit}}')"
    )
    for kind in ("network_latency", "packet_loss", "bandwidth"):
        extra = {
            "network_latency": "delay: 10ms",
            "packet_loss": "percent: 1",
            "bandwidth": "rate: 1mbit",
        }
        p = plan(f"kind: {kind}\n{extra[kind]}\n")
        assert shlex.split(p.inject[0])[2].startswith(fragment)
        assert p.cleanup == ("rm -f /var/lib/gameday/f1a2b3c4.dev",)


@pytest.mark.parametrize(
    ("text", "bits", "shown"),
    [
        ("500kbit", 500_000, "500kbit"),
        ("1mbit", 10**6, "1mbit"),
        ("1.5mbit", 1_500_000, "1500kbit"),
        ("2gbit", 2 * 10**9, "2gbit"),
        ("10MBIT", 10**7, "10mbit"),
    ],
)
def test_rates(text: str, bits: int, shown: str) -> None:
    assert parse_rate(text) == bits
    assert format_rate(bits) == shown


def test_tc_times() -> None:
    assert tc_time(0.1) == "100ms"
    assert tc_time(0.0015) == "1500us"
    assert tc_time(2) == "2000ms"


# --- stress, disk, processes, custom -------------------------------------------------------------


@pytest.mark.parametrize(("duration", "timeout"), [(0.2, "1s"), (59.1, "60s"), (300, "300s")])
def test_stress_ng_ends_by_itself_at_the_fault_duration(duration: float, timeout: str) -> None:
    p = fault("{kind: cpu_stress}").plan(HOST, "f1", duration)
    assert f"--timeout {timeout}" in p.inject[0]


def test_stress_runs_in_its_own_group_recorded_by_fault_id() -> None:
    body = shlex.split(plan("{kind: memory_stress, size: 64M}").inject[0])[2]
    assert (
        "setsid sh -c 'echo $$ > /var/lib/gameday/f1a2b3c4.pgid && "
        "exec env GAMEDAY_FAULT=f1a2b3c4 stress-ng --vm 1" in body
    )
    revert = shlex.split(plan("{kind: memory_stress, size: 64M}").revert[0])[2]
    assert 'kill -TERM "-$pg"' in revert and 'kill -KILL "-$pg"' in revert
    assert "0*|1|*[!0-9]*)" in revert  # never `kill -- -1` or -0 from a bad file


def test_memory_stress_keeps_memory_available_at_capability_and_inject() -> None:
    p = plan("{kind: memory_stress, size: 1G, workers: 2, keep_available: 512M}")
    need = str((2 * 1024**3 + 512 * 1024**2) // 1024)
    assert f'[ "$avail" -lt {need} ]' in shlex.split(p.capability[-1])[2]
    assert shlex.split(p.inject[0])[2].startswith("avail=$(awk '/^MemAvailable:/")
    assert fault_as(MemoryStress, "{kind: memory_stress}").keep_available == 256 * 1024**2


def test_disk_fill_checks_free_space_at_inject_time_too() -> None:
    p = plan("{kind: disk_fill, path: /data, size: 2G, keep_free: 1G}")
    need = str(3 * 1024**3)
    assert f'[ "$avail" -lt {need} ]' in shlex.split(p.inject[0])[2]
    assert f'[ "$avail" -lt {need} ]' in shlex.split(p.capability[-1])[2]
    assert p.revert == ("rm -f /data/.gameday-fill-f1a2b3c4",)


def test_process_kill_without_restart_says_nothing_restarts_it() -> None:
    p = plan("{kind: process_kill, process: nginx}")
    assert p.revert == ("true",) and p.verify_reverted == ("true",)
    assert not p.revert_verified and p.verified
    assert "nothing restarts it" in p.summary
    assert shlex.split(p.inject[0])[2].endswith("; pkill -KILL -x nginx")


def test_process_names_are_exact_literal_patterns() -> None:
    p = plan("{kind: process_pause, process: node.js}")
    assert "pgrep -x 'node[.]js'" in shlex.split(p.inject[0])[2]


def test_custom_commands_may_span_lines() -> None:
    spec = fault("kind: custom\ninject: |\n  a\n  b\nrevert: c\n")
    assert spec.plan(HOST, "f1", 60).inject == (render(("sh", "-c", "a\nb")),)


def test_custom_commands_are_sent_as_written_and_unverified_phases_say_so() -> None:
    p = plan("{kind: custom, inject: 'echo \"$HOME\" | tee /tmp/x', revert: 'rm /tmp/x'}")
    assert shlex.split(p.inject[0]) == ["sh", "-c", 'echo "$HOME" | tee /tmp/x']
    assert p.verify_active == ("true",) and p.verify_reverted == ("true",)
    assert not p.verified and not p.revert_verified
    assert "unverified: active, reverted" in p.summary
    checked = plan(
        "{kind: custom, inject: a, revert: b, verify: c, verify_reverted: d, capability: e}"
    )
    assert checked.verified and checked.revert_verified
    assert checked.capability == ("sh -c e",)
