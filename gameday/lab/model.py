"""The lab's vocabulary: what you ask for (LabConfig), what you get (LabInfo), what it looks like
now (LabStatus), and the names and addresses derived from a lab name."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from gameday.errors import LabError

DEFAULT_NAME = "gdlab"
DEFAULT_ROOT = Path("/var/lib/gameday-lab")
"""Labs live outside /tmp: a lab host mounts its own tmpfs over /tmp and would not see them."""
DEFAULT_HOSTS = 3
MAX_HOSTS = 32
DEFAULT_PROMETHEUS_PORT = 9390
SSH_PORT = 22
NODE_EXPORTER_PORT = 9100
SHOP_PORT = 8080
HOST_STATE_DIR = "/var/lib/gameday"
"""gameday's per-host state directory (the fault catalog's default); private per lab host."""
PRIVATE_DIRS = ("/run", "/tmp", "/var/tmp", HOST_STATE_DIR)
"""Each lab host mounts its own small tmpfs over these, so they are never shared."""
SUBNET_PREFIX = "10.213"

_NAME = re.compile(r"[a-z][a-z0-9]{0,7}")


def check_name(name: str) -> str:
    """A lab name: 1-8 of [a-z0-9], starting with a letter (so derived link names fit 15 chars)."""
    if not _NAME.fullmatch(name):
        raise LabError(
            f"lab name {name!r} is not valid: use 1 to 8 lowercase letters or digits, "
            "starting with a letter (it names namespaces and links, limited to 15 characters)"
        )
    return name


def default_dir(name: str = DEFAULT_NAME) -> Path:
    """Where a lab keeps its files unless told otherwise: /var/lib/gameday-lab/NAME."""
    return DEFAULT_ROOT / check_name(name)


def host_name(index: int) -> str:
    return f"lab-{index}"


def netns_name(lab: str, index: int) -> str:
    return f"{lab}-{index}"


def bridge_name(lab: str) -> str:
    return f"{lab}-br"


def veth_name(lab: str, index: int) -> str:
    return f"{lab}-v{index}"


def preferred_subnet(lab: str) -> int:
    """The third octet the lab tries first for 10.213.<k>.0/24 (stable per name)."""
    return zlib.crc32(lab.encode()) % 250 + 1


def gateway(octet: int) -> str:
    return f"{SUBNET_PREFIX}.{octet}.1"


def host_address(octet: int, index: int) -> str:
    return f"{SUBNET_PREFIX}.{octet}.{10 + index}"


def zone(index: int) -> str:
    return "a" if index % 2 else "b"


@dataclass(frozen=True)
class LabConfig:
    """What `lab up` is asked for. `dir=None` means `default_dir(name)`; `hosts=None` means
    the existing lab's count, or DEFAULT_HOSTS for a new lab."""

    name: str = DEFAULT_NAME
    dir: Path | None = None
    hosts: int | None = None
    prometheus_port: int = DEFAULT_PROMETHEUS_PORT
    loadgen_port: int | None = None
    """Default: prometheus_port + 1."""
    rate: float = 20.0
    """Load generator requests per second, per host."""

    @property
    def lab_dir(self) -> Path:
        return Path(self.dir).absolute() if self.dir is not None else default_dir(self.name)

    @property
    def loadgen_listen_port(self) -> int:
        return self.loadgen_port if self.loadgen_port is not None else self.prometheus_port + 1


@dataclass(frozen=True)
class LabHost:
    name: str
    """Inventory name: lab-1, lab-2, …"""
    address: str
    """Its address on the lab bridge (SSH on port 22, node_exporter :9100, shop :8080)."""
    netns: str
    """Its network namespace (`ip netns exec NETNS …`)."""
    zone: str
    init_pid: int
    """PID (in this machine's namespace) of the host's init, for `nsenter -t PID -m -u -n -p`."""
    sshd_log: Path
    """sshd's LogLevel VERBOSE log: who connected, with which key."""

    def enter(self, *argv: str) -> list[str]:
        """argv that runs a command inside this host (all its namespaces), as root, no SSH."""
        return ["nsenter", "-t", str(self.init_pid), "-m", "-u", "-n", "-p", "--", *argv]


@dataclass(frozen=True)
class LabInfo:
    """A running lab, as `up` leaves it (and as `info(dir)` reads it back)."""

    name: str
    dir: Path
    hosts: tuple[LabHost, ...]
    inventory: Path
    key: Path
    """The private key that logs in as root on every host (the .pub is next to it)."""
    known_hosts: Path
    """Every host's key, by address: verify with it, never auto-accept."""
    prometheus_url: str
    loadgen_url: str
    """The load generator's /metrics root (also scraped by Prometheus as job `loadgen`)."""
    scenarios_dir: Path
    bridge: str
    subnet: str
    prometheus_pid: int = 0
    """PID of the lab's Prometheus server (0 when none is recorded), e.g. to pause it."""
    loadgen_pid: int = 0
    """PID of the load generator (0 when none is recorded), e.g. to pause the load."""

    def host(self, name: str) -> LabHost:
        for lab_host in self.hosts:
            if lab_host.name == name:
                return lab_host
        raise KeyError(name)

    def ssh_argv(self, host: str, *command: str) -> list[str]:
        """A plain OpenSSH command line into a host, with the lab's key and known_hosts."""
        return [
            "ssh",
            "-i",
            str(self.key),
            "-o",
            f"UserKnownHostsFile={self.known_hosts}",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "IdentitiesOnly=yes",
            f"root@{self.host(host).address}",
            *command,
        ]


@dataclass(frozen=True)
class HostStatus:
    name: str
    address: str
    ssh: bool
    ssh_banner: str
    node_exporter: bool
    shop: bool
    init_running: bool
    faults: tuple[str, ...] = ()
    """Traces of gameday faults on the host: qdiscs, GAMEDAY* chains, stress-ng, fill files,
    stopped (state T) processes. Empty = clean."""


@dataclass(frozen=True)
class LabStatus:
    name: str
    dir: Path
    hosts: tuple[HostStatus, ...]
    prometheus: bool
    loadgen: bool
    problems: tuple[str, ...] = field(default=())
    prometheus_url: str = ""

    @property
    def healthy(self) -> bool:
        return (
            self.prometheus
            and self.loadgen
            and all(h.ssh and h.node_exporter and h.shop for h in self.hosts)
        )
