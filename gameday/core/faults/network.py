"""network_partition: drop traffic with iptables (and ip6tables), in chains owned by gameday.

Each fault gets its own chains, `GAMEDAY-<token>-in` (jumped to from INPUT) and
`GAMEDAY-<token>-out` (from OUTPUT), where the token is the fault id (or a hash of it when the id
is too long for iptables' 28-character chain names). Each chain first RETURNs loopback traffic
and the console's SSH port, so the fault can never cut the console's path; its DROP rules follow.
The jump is inserted last, at the top of INPUT/OUTPUT: a hooked chain is a complete one.

IPv4 rules go to iptables, IPv6 rules to ip6tables. Peers decide the families; a partition
without peers cuts both, the IPv6 half only where the kernel has IPv6 (`/proc/net/if_inet6`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from gameday.core.faults.base import (
    FaultPlan,
    HostContext,
    Lines,
    Network,
    check_network,
    choice,
    fail,
    items_of,
    label,
)
from gameday.core.shell import render
from gameday.core.yamlsrc import MapNode

DIRECTIONS = ("ingress", "egress", "both")
PROTOCOLS = ("tcp", "udp", "all")
MAX_RULES = 256
WAIT = ("-w", "5")
"""`-w 5`: wait at most 5 s for the xtables lock instead of failing (or waiting forever)."""
NO_IPV6 = "[ ! -e /proc/net/if_inet6 ]"
"""Fixed: true iff the kernel has no IPv6 (the file exists even with no address configured)."""


def chain_token(fault_id: str) -> str:
    """The fault id, or a stable 12-hex-digit hash of it when the chain name would be too long."""
    if len(fault_id) <= 16:
        return fault_id
    return hashlib.sha256(fault_id.encode()).hexdigest()[:12]


def chain_prefix(fault_id: str) -> str:
    """What every chain of this fault starts with (used to find leftovers)."""
    return f"GAMEDAY-{chain_token(fault_id)}-"


@dataclass(frozen=True)
class _Family:
    tool: str
    """`iptables` or `ip6tables`."""
    version: int
    guarded: bool
    """Only where the kernel has IPv6: a partition without peers must cut IPv6 too, but a host
    without IPv6 has nothing to cut."""

    def ipt(self, *args: str) -> tuple[str, ...]:
        return (self.tool, *WAIT, *args)

    def guard(self, body: str) -> str:
        return f"{NO_IPV6} || {{ {body}; }}" if self.guarded else body


@dataclass(frozen=True, kw_only=True)
class NetworkPartition:
    line: int
    name: str | None = None
    direction: str = "both"
    ports: tuple[int, ...] = ()
    peers: tuple[Network, ...] = ()
    protocol: str = "all"
    kind: str = field(default="network_partition", init=False)

    def families(self) -> tuple[_Family, ...]:
        versions = {peer.version for peer in self.peers}
        found: list[_Family] = []
        if not versions or 4 in versions:
            found.append(_Family("iptables", 4, guarded=False))
        if not versions or 6 in versions:
            found.append(_Family("ip6tables", 6, guarded=not versions))
        return tuple(found)

    def plan(self, ctx: HostContext, fault_id: str, duration: float) -> FaultPlan:
        lines = Lines(ctx, fault_id)
        hooks = [h for h in (("in", "INPUT"), ("out", "OUTPUT")) if self._cuts(h[0])]
        capability = list(lines.sudo_capability())
        inject: list[str] = []
        verify: list[str] = []
        revert: list[str] = []
        gone: list[str] = []
        for family in self.families():
            capability.extend(_family_capability(lines, family))
            for side, builtin in hooks:
                chain = chain_prefix(fault_id) + side
                steps = [
                    family.ipt("-N", chain),
                    *(family.ipt("-A", chain, *rule) for rule in self._rules(ctx, side, family)),
                    family.ipt("-I", builtin, "1", "-j", chain),
                ]
                checks = [family.ipt("-S", chain), family.ipt("-C", builtin, "-j", chain)]
                if family.guarded:
                    inject.append(lines.sh(family.guard(" && ".join(map(render, steps)))))
                    verify.append(
                        lines.sh(
                            family.guard(f"{render(checks[0])} >/dev/null && {render(checks[1])}")
                        )
                    )
                else:
                    inject.extend(lines.cmd(*step) for step in steps)
                    verify.extend(lines.cmd(*check) for check in checks)
                revert.append(lines.sh(_unhook_and_remove(family, builtin, chain)))
            gone.append(lines.sh(family.guard(_no_rule_mentions(family, chain_prefix(fault_id)))))
        return FaultPlan(
            kind=self.kind,
            fault_id=fault_id,
            host=ctx.name,
            capability=tuple(capability),
            inject=tuple(inject),
            verify_active=tuple(verify),
            revert=tuple(revert),
            verify_reverted=tuple(gone),
            summary=self._summary(ctx),
        )

    def _cuts(self, side: str) -> bool:
        return self.direction == "both" or (side == "in") == (self.direction == "ingress")

    def _rules(self, ctx: HostContext, side: str, family: _Family) -> list[tuple[str, ...]]:
        """The chain's rules: loopback and the SSH port first (RETURN), then the DROPs."""
        inbound = side == "in"
        lo, peer_flag, ssh_flag = ("-i", "-s", "--dport") if inbound else ("-o", "-d", "--sport")
        rules: list[tuple[str, ...]] = [
            (lo, "lo", "-j", "RETURN"),
            ("-p", "tcp", ssh_flag, str(ctx.ssh_port), "-j", "RETURN"),
        ]
        peers: list[Network | None] = [p for p in self.peers if p.version == family.version]
        for peer in peers or [None]:
            where = (peer_flag, str(peer)) if peer is not None else ()
            for proto, port in _proto_ports(self.protocol, self.ports):
                match = ("-p", proto) if proto else ()
                to_port = ("--dport", str(port)) if port is not None else ()
                rules.append((*where, *match, *to_port, "-j", "DROP"))
        return rules

    def _summary(self, ctx: HostContext) -> str:
        way = {"ingress": "incoming", "egress": "outgoing", "both": "incoming and outgoing"}
        if self.protocol == "all":
            text = f"Drop all {way[self.direction]} traffic"
        else:
            text = f"Drop {way[self.direction]} {self.protocol.upper()} traffic"
        if self.ports:
            text += " on port" + ("s " if len(self.ports) > 1 else " ")
            text += ", ".join(str(p) for p in self.ports)
        if self.peers:
            text += " with " + ", ".join(str(p) for p in self.peers)
        else:
            text += ", IPv4 and IPv6"
        text += f" (loopback and SSH port {ctx.ssh_port} stay open"
        if ctx.ssh_port in self.ports:
            text += f"; port {ctx.ssh_port} is the console's SSH port and is NOT cut"
        return text + ")"


def _family_capability(lines: Lines, family: _Family) -> list[str]:
    if not family.guarded:
        return [
            lines.tools_capability((family.tool, "iptables")),
            lines.cmd(*family.ipt("-S", "INPUT")),
        ]
    missing = fail(
        f"IPv6 is enabled but {family.tool} does not work here, so the partition could not "
        "cut IPv6 (install iptables, or give IPv4 peers)"
    )
    probe = f"{render(family.ipt('-S', 'INPUT'))} >/dev/null 2>&1"
    return [lines.sh(family.guard(f"{probe} || {missing}"))]


def _proto_ports(protocol: str, ports: tuple[int, ...]) -> list[tuple[str | None, int | None]]:
    if not ports:
        return [(None if protocol == "all" else protocol, None)]
    protos = ("tcp", "udp") if protocol == "all" else (protocol,)
    return [(proto, port) for proto in protos for port in ports]


def _unhook_and_remove(family: _Family, builtin: str, chain: str) -> str:
    """Remove every jump to the chain (bounded), then flush and delete it; never fails."""
    unhook = render(family.ipt("-D", builtin, "-j", chain))
    return (
        f"for _ in 1 2 3 4 5 6 7 8; do {unhook} 2>/dev/null || break; done; "
        f"{render(family.ipt('-F', chain))} 2>/dev/null; "
        f"{render(family.ipt('-X', chain))} 2>/dev/null; true"
    )


def _no_rule_mentions(family: _Family, prefix: str) -> str:
    """Exit 0 iff the tool answers and no chain or jump of this fault is left."""
    return (
        f"rules=$({render(family.ipt('-S'))}) && "
        f"! printf '%s\\n' \"$rules\" | {render(('grep', '-q', '-F', '-e', prefix))}"
    )


def parse_partition(m: MapNode) -> NetworkPartition:
    direction = choice(m, "direction", DIRECTIONS, "both")
    ports_node = m.get("ports")
    ports: tuple[int, ...] = ()
    if ports_node is not None:
        items = items_of(ports_node)
        ports = tuple(dict.fromkeys(item.as_int(min=1, max=65535) for item in items))
        if not ports:
            raise ports_node.error("give at least one port, or leave ports out to cut everything")
    peers_node = m.get("peers")
    peers: tuple[Network, ...] = ()
    if peers_node is not None:
        peers = tuple(dict.fromkeys(item.convert(check_network) for item in items_of(peers_node)))
        if not peers:
            raise peers_node.error("give at least one peer, or leave peers out")
    protocol = choice(m, "protocol", PROTOCOLS, "tcp" if ports else "all")
    count = max(1, len(peers)) * max(1, len(ports)) * (2 if protocol == "all" and ports else 1)
    if count > MAX_RULES:
        raise m.error(f"ports × peers gives {count} rules; at most {MAX_RULES} are allowed")
    return NetworkPartition(
        line=m.line, name=label(m), direction=direction, ports=ports, peers=peers, protocol=protocol
    )
