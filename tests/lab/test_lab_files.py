"""The lab's names and files, checked without building a lab (these run anywhere)."""

from __future__ import annotations

import os
import re
import string
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from gameday.core.formats.inventory_loader import load_inventory
from gameday.core.formats.scenario import load_scenario
from gameday.errors import LabError
from gameday.lab import health, model, render, system

valid_names = st.from_regex(r"[a-z][a-z0-9]{0,7}", fullmatch=True)


@given(valid_names, st.integers(1, model.MAX_HOSTS))
def test_every_derived_link_name_fits_the_kernels_15_characters(name: str, index: int) -> None:
    for link in (
        model.netns_name(name, index),
        model.bridge_name(name),
        model.veth_name(name, index),
    ):
        assert len(link) <= 15


@given(
    st.text(alphabet=string.printable, max_size=12).filter(
        lambda s: re.fullmatch(r"[a-z][a-z0-9]{0,7}", s) is None
    )
)
def test_a_name_that_could_break_a_command_or_a_link_is_refused(name: str) -> None:
    with pytest.raises(LabError, match="lab name"):
        model.check_name(name)


def test_host_addresses_stay_inside_the_labs_subnet() -> None:
    octet = model.preferred_subnet("gdlab")
    addresses = [model.host_address(octet, i) for i in range(1, model.MAX_HOSTS + 1)]
    assert all(a.startswith(f"10.213.{octet}.") for a in addresses)
    assert len(set(addresses)) == model.MAX_HOSTS
    assert model.gateway(octet) not in addresses


HOSTS = [render.HostPlan(i, f"lab-{i}", f"10.213.9.{10 + i}", model.zone(i)) for i in (1, 2, 3)]


def test_inventory_is_read_by_gameday_with_keys_and_tags(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(
        render.inventory(
            "gdlab", HOSTS, "/lab/id_ed25519", "/lab/known_hosts", "http://127.0.0.1:9390"
        )
    )
    inventory = load_inventory(path)
    assert list(inventory.hosts) == ["lab-1", "lab-2", "lab-3"]
    host = inventory.hosts["lab-2"]
    assert (host.address, host.port, host.user, host.identity_file) == (
        "10.213.9.12", 22, "root", "/lab/id_ed25519",
    )  # fmt: skip
    assert dict(host.tags) == {"role": "web", "env": "lab", "zone": "b", "lab": "gdlab"}
    assert inventory.known_hosts == "/lab/known_hosts"
    assert inventory.prometheus is not None
    assert inventory.prometheus.url == "http://127.0.0.1:9390"


@pytest.mark.parametrize("hosts", [1, 3, 8])
def test_every_lab_scenario_is_valid_and_targets_one_lab_host(tmp_path: Path, hosts: int) -> None:
    kinds: set[str] = set()
    for file, text in render.scenarios("gdlab", hosts).items():
        path = tmp_path / file
        path.write_text(text)
        scenario = load_scenario(path)
        assert dict(scenario.targets.tags) == {"lab": "gdlab"}
        if file == "partition-ladder.yaml":
            stages = [stage.text for stage in scenario.targets.stages]
            assert stages == (["1", "2", "100%"] if hosts > 2 else ["1"])
            continue
        assert scenario.targets.count == 1
        kinds.update(fault.kind for fault in scenario.faults)
    assert kinds == {
        "network_partition", "process_kill", "cpu_stress", "bandwidth", "disk_fill",
        "process_pause", "network_latency",
    }  # fmt: skip


def test_prometheus_scrapes_every_host_at_one_second_with_its_inventory_name() -> None:
    config = yaml.safe_load(render.prometheus_config(HOSTS, 9390, 9391))
    assert config["global"]["scrape_interval"] == "1s"
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for job, port in (("node", 9100), ("shop", 8080)):
        targets = {
            entry["targets"][0]: entry["labels"]["host"] for entry in jobs[job]["static_configs"]
        }
        assert targets == {f"10.213.9.{10 + i}:{port}": f"lab-{i}" for i in (1, 2, 3)}
    assert jobs["loadgen"]["honor_labels"] is True


def test_sshd_config_allows_only_key_login_as_root_on_the_hosts_address() -> None:
    text = render.sshd_config("10.213.9.11", "/lab/hosts/lab-1/key", "/lab/id_ed25519.pub")
    lines = set(text.splitlines())
    assert {
        "ListenAddress 10.213.9.11:22",
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "AuthorizedKeysFile /lab/id_ed25519.pub",
        "UsePAM no",
        "LogLevel VERBOSE",
    } <= lines


def test_known_hosts_lists_each_address_with_its_key_only() -> None:
    text = render.known_hosts(
        [("10.0.0.1", "ssh-ed25519 AAAAone lab-1@x\n"), ("10.0.0.2", "ssh-ed25519 AAAAtwo c")]
    )
    assert text == "10.0.0.1 ssh-ed25519 AAAAone\n10.0.0.2 ssh-ed25519 AAAAtwo\n"


TRACES = """
## qdisc
qdisc noqueue 0: dev lo root refcnt 2
qdisc tbf 8001: dev eth0 root refcnt 2 rate 1Mbit burst 32Kb lat 400ms
## chains
-P INPUT ACCEPT
-N GAMEDAY-f0-abc
-N OTHER
-A INPUT -j GAMEDAY-f0-abc
## procs
      1 Ss   python
      7 Ss   sshd
      9 Tl   shop
     40 R    stress-ng-cpu
## fills
/var/tmp/.gameday-fill-f0-abc
## end
"""


def test_fault_traces_are_found_and_defaults_are_not() -> None:
    assert health.parse_traces(TRACES) == (
        "qdisc tbf on eth0",
        "iptables chain GAMEDAY-f0-abc",
        "stopped process shop (9)",
        "stress-ng process 40",
        "fill file /var/tmp/.gameday-fill-f0-abc",
    )


def test_a_clean_host_has_no_traces() -> None:
    clean = "## qdisc\nqdisc noqueue 0: dev eth0 root refcnt 2\n## chains\n-P INPUT ACCEPT\n"
    clean += "## procs\n 1 Ss python\n 7 Ss sshd\n## fills\n## end\n"
    assert health.parse_traces(clean) == ()


def test_not_root_is_refused_before_anything_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(sys, "platform", "linux")
    with pytest.raises(LabError, match="needs root"):
        system.require_root_linux()
    monkeypatch.setattr(sys, "platform", "darwin")
    with pytest.raises(LabError, match="needs Linux"):
        system.require_root_linux()


def test_a_lab_dir_under_a_private_host_directory_is_refused(tmp_path: Path) -> None:
    from gameday.lab import fleet

    with pytest.raises(LabError, match="private tmpfs"):
        fleet._check_lab_dir(Path("/tmp/somewhere/lab"))
    fleet._check_lab_dir(Path("/var/lib/gameday-lab/x"))  # fine


def test_missing_tools_are_named_by_their_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    absent = {"stress-ng", "prometheus-node-exporter", "apt-get"}
    real_which = system.which
    monkeypatch.setattr(system, "which", lambda tool: None if tool in absent else real_which(tool))
    assert system.missing_packages() == ["prometheus-node-exporter", "stress-ng"]
    said: list[str] = []
    with pytest.raises(
        LabError, match="no apt-get to install them: prometheus-node-exporter stress-ng"
    ):
        system.ensure_packages(said.append)
