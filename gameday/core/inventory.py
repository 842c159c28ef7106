"""Hosts, groups and tags: gameday's own YAML inventory, Ansible inventories (YAML, INI and
`ansible-inventory --list` JSON), all read into one frozen `Inventory`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class Host:
    name: str
    address: str
    port: int = 22
    user: str = "root"
    identity_file: str | None = None
    sudo: bool = False
    """Prefix privileged commands with `sudo -n` (never prompts; a password need is an error)."""
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    line: int = 0
    """Line of the host's entry in its inventory file, for error messages."""


@dataclass(frozen=True)
class PrometheusConfig:
    url: str
    headers: Mapping[str, Secret] = field(default_factory=lambda: MappingProxyType({}))
    verify_tls: bool = True


class Secret:
    """A value that must never be printed: repr/str are masked; `.reveal()` is explicit."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Inventory:
    file: str
    hosts: Mapping[str, Host]
    """Every host by name, in file order."""
    groups: Mapping[str, tuple[str, ...]]
    """Group name → host names (children already flattened)."""
    protected: frozenset[str] = frozenset()
    """Hosts that are never a target, whatever a scenario says."""
    known_hosts: str | None = None
    """Extra known_hosts file, already resolved relative to the inventory file."""
    prometheus: PrometheusConfig | None = None
