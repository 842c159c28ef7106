"""Where and how to reach a host over SSH, before any connection: options, endpoints from the
inventory and `~/.ssh/config` (HostName, User, Port, IdentityFile, ProxyJump), and the host-key
policy.

Host keys are checked against `~/.ssh/known_hosts` plus the inventory's `known_hosts`. An
unknown key is refused with its SHA256 fingerprint and how to trust it; with
`trust_new_hosts=True` it is appended to the inventory's known_hosts file instead. A changed key
is always refused. Never auto-accepted silently.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import paramiko

from gameday.core.formats.inventory import Host
from gameday.errors import (
    HostKeyRejected,
)


@dataclass(frozen=True)
class SshOptions:
    """Deadlines and policies shared by every connection of a session."""

    connect_timeout: float = 10.0
    """TCP connect, then again for the SSH banner and for authentication."""
    keepalive: int = 15
    """Seconds between keepalive packets (0 = off)."""
    trust_new_hosts: bool = False
    """Record unknown host keys in the inventory's known_hosts instead of refusing them."""
    ssh_config: str | None = "~/.ssh/config"
    user_known_hosts: str | None = "~/.ssh/known_hosts"
    use_agent: bool = True
    look_for_keys: bool = True
    """Also offer ~/.ssh/id_* keys, as ssh does."""


@dataclass(frozen=True)
class Endpoint:
    """Where and as whom to connect, after ~/.ssh/config is applied."""

    name: str
    """The name used in errors (the inventory's host name, or the jump host as written)."""
    address: str
    port: int
    user: str
    identity_files: tuple[str, ...]
    proxy_jump: tuple[str, ...] = ()
    """Jump hosts in order, each `[user@]host[:port]` as in ssh's ProxyJump."""

    @property
    def known_hosts_name(self) -> str:
        """The name under which known_hosts lists this endpoint's key (as OpenSSH writes it)."""
        return self.address if self.port == 22 else f"[{self.address}]:{self.port}"


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's `SHA256:…` fingerprint of a public key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def load_ssh_config(path: str | None) -> paramiko.SSHConfig | None:
    if path is None:
        return None
    expanded = Path(path).expanduser()
    if not expanded.is_file():
        return None
    try:
        return paramiko.SSHConfig.from_path(str(expanded))
    except (OSError, paramiko.ConfigParseError):
        return None  # ssh itself would complain; we connect with the inventory alone


def resolve_endpoint(host: Host, config: paramiko.SSHConfig | None) -> Endpoint:
    """Apply ~/.ssh/config (looked up by the inventory address) to an inventory host."""
    entry = config.lookup(host.address) if config is not None else {}
    address = str(entry.get("hostname", host.address))
    port = host.port
    if port == 22 and "port" in entry:
        port = int(str(entry["port"]))
    user = host.user
    if user == "root" and "user" in entry:
        user = str(entry["user"])
    identities: list[str] = []
    if host.identity_file:
        identities.append(host.identity_file)
    for item in entry.get("identityfile", []) or []:
        identities.append(str(item))
    jump = str(entry.get("proxyjump", "") or "")
    hops = tuple(h.strip() for h in jump.split(",") if h.strip() and jump.lower() != "none")
    return Endpoint(
        name=host.name,
        address=address,
        port=port,
        user=user,
        identity_files=tuple(os.path.expanduser(p) for p in identities),
        proxy_jump=hops,
    )


def resolve_jump(spec: str, config: paramiko.SSHConfig | None) -> Endpoint:
    """A ProxyJump hop `[user@]host[:port]`, itself resolved through ~/.ssh/config."""
    user_part, at, rest = spec.rpartition("@")
    name, port_text = rest, ""
    if rest.startswith("["):
        name, _, tail = rest[1:].partition("]")
        port_text = tail.removeprefix(":")
    elif rest.count(":") == 1:
        name, _, port_text = rest.partition(":")
    entry = config.lookup(name) if config is not None else {}
    port = int(port_text) if port_text.isdigit() else int(str(entry.get("port", 22)))
    user = user_part if at else str(entry.get("user", os.environ.get("USER", "root")))
    identities = [os.path.expanduser(str(p)) for p in entry.get("identityfile", []) or []]
    return Endpoint(
        name=spec,
        address=str(entry.get("hostname", name)),
        port=port,
        user=user,
        identity_files=tuple(identities),
    )


class KnownHostsPolicy(paramiko.MissingHostKeyPolicy):
    """Unknown key: refuse with its fingerprint, or (explicit opt-in) record it and go on."""

    def __init__(self, endpoint: Endpoint, record_in: str | None, trust: bool) -> None:
        self._endpoint = endpoint
        self._record_in = record_in
        self._trust = trust

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        if self._trust and self._record_in:
            _append_known_host(self._record_in, hostname, key)
            return
        target = self._record_in or "~/.ssh/known_hosts"
        port_flag = f"-p {self._endpoint.port} " if self._endpoint.port != 22 else ""
        raise HostKeyRejected(
            self._endpoint.name,
            f"unknown host key {key.get_name()} {fingerprint(key)} for {hostname}. "
            "Compare it with the key on the host (`ssh-keygen -lf "
            "/etc/ssh/ssh_host_*_key.pub`), then run again with --trust-new-hosts to record it "
            f"in {target}, or record it yourself: "
            f"ssh-keyscan {port_flag}{self._endpoint.address} >> {target}",
        )


_KNOWN_HOSTS_LOCK = threading.Lock()


def _append_known_host(path: str, name: str, key: paramiko.PKey) -> None:
    line = f"{name} {key.get_name()} {key.get_base64()}\n"
    with _KNOWN_HOSTS_LOCK:
        target = Path(path).expanduser()
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a", encoding="utf-8") as handle:
            handle.write(line)


def next_hop(target: Endpoint, spec: str, config: paramiko.SSHConfig | None) -> Endpoint:
    """The endpoint the jump host `spec` must open a channel to: the next jump or the target."""
    hops = list(target.proxy_jump)
    index = hops.index(spec)
    return resolve_jump(hops[index + 1], config) if index + 1 < len(hops) else target
