"""The lab's network: a bridge on this machine, one network namespace per host joined to it
by a veth pair, on a 10.213.<octet>.0/24 network no other route on this machine uses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gameday.errors import LabError
from gameday.lab import model, system
from gameday.lab.state import HostState

Say = Callable[[str], None]


def netns_exists(netns: str) -> bool:
    return Path("/run/netns", netns).exists()


def link_exists(link: str, netns: str | None = None) -> bool:
    argv = ["ip", *(["-n", netns] if netns else []), "link", "show", "dev", link]
    return system.run(argv, check=False).status == 0


def _used_octets() -> set[int]:
    """Third octets of 10.213.x.0/24 networks already routed in this namespace."""
    used: set[int] = set()
    routes = system.run(["ip", "-4", "-o", "route", "show"], check=False).stdout
    for line in routes.splitlines():
        destination = line.split()[0] if line.split() else ""
        parts = destination.split("/")[0].split(".")
        if len(parts) == 4 and ".".join(parts[:2]) == model.SUBNET_PREFIX and parts[2].isdigit():
            used.add(int(parts[2]))
    return used


def choose_octet(name: str) -> int:
    used = _used_octets()
    first = model.preferred_subnet(name)
    for step in range(250):
        octet = (first - 1 + step) % 250 + 1
        if octet not in used:
            return octet
    raise LabError(f"no free {model.SUBNET_PREFIX}.x.0/24 network for the lab")


def ensure_bridge(bridge: str, octet: int, say: Say) -> None:
    if not link_exists(bridge):
        system.run(["ip", "link", "add", bridge, "type", "bridge"])
        say(f"created bridge {bridge}")
    gw = model.gateway(octet)
    addresses = system.run(["ip", "-4", "-o", "addr", "show", "dev", bridge]).stdout
    if f" {gw}/24 " not in addresses:
        system.run(["ip", "addr", "add", f"{gw}/24", "dev", bridge])
    system.run(["ip", "link", "set", bridge, "up"])


def ensure_host_network(bridge: str, octet: int, host: HostState, say: Say) -> None:
    """The host's namespace, veth pair, address and default route, made or repaired.

    The caller stops the host's processes first when its namespace is gone.
    """
    netns, veth, address = host.netns, host.veth, host.address
    if not netns_exists(netns):
        if link_exists(veth):
            system.run(["ip", "link", "delete", veth])
        system.run(["ip", "netns", "add", netns])
        say(f"created network namespace {netns}")
    if not link_exists(veth):
        if link_exists("eth0", netns):  # a half-made pair: start the pair again
            system.run(["ip", "-n", netns, "link", "delete", "eth0"])
        system.run(
            ["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns]
        )
        # A re-made host has a new MAC: forget the old one, or this machine keeps sending
        # to it until the neighbour entry times out (tens of seconds).
        system.run(["ip", "neigh", "flush", "to", address], check=False)
    system.run(["ip", "link", "set", veth, "master", bridge, "up"])
    inner = system.run(["ip", "-n", netns, "-4", "-o", "addr", "show", "dev", "eth0"]).stdout
    if f" {address}/24 " not in inner:
        system.run(["ip", "-n", netns, "addr", "add", f"{address}/24", "dev", "eth0"])
    system.run(["ip", "-n", netns, "link", "set", "lo", "up"])
    system.run(["ip", "-n", netns, "link", "set", "eth0", "up"])
    system.run(["ip", "-n", netns, "route", "replace", "default", "via", model.gateway(octet)])


def delete_netns(netns: str) -> None:
    if netns_exists(netns):
        system.run(["ip", "netns", "delete", netns])


def delete_link(link: str) -> None:
    """Delete a link if it exists and wait until it is gone: the kernel tears down a deleted
    namespace's veth pair asynchronously, so it may vanish (or linger) on its own."""
    if link_exists(link):
        system.run(["ip", "link", "delete", link], check=False)
    system.wait_until(lambda: not link_exists(link), 10.0, f"the link {link} to disappear")
