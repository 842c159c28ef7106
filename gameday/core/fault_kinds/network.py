"""network_partition: drop traffic with iptables, in chains owned by gameday.

Each fault gets its own chains, `GAMEDAY-<token>-in` (jumped to from INPUT) and
`GAMEDAY-<token>-out` (from OUTPUT), where the token is the fault id (or a hash of it when the id
is too long for iptables' 28-character chain names). Each chain first RETURNs loopback traffic
and the console's SSH port, so the fault can never cut the console's path; its DROP rules follow.
The jump is inserted last, at the top of INPUT/OUTPUT: a hooked chain is a complete one.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field

from gameday.core.fault_kinds.base import (
    FaultPlan,
    HostContext,
    Lines,
    check_network,
    choice,
    items_of,
    label,
)
from gameday.core.shell import render
from gameday.core.yamlsrc import MapNode

DIRECTIONS = ("ingress", "egress", "both")
PROTOCOLS = ("tcp", "udp", "all")
MAX_RULES = 256
IPT = ("iptables", "-w", "5")
"""`-w 5`: wait at most 5 s for the xtables lock instead of failing (or waiting forever)."""


def chain_token(fault_id: str) -> str:
    """The fault id, or a stable 12-hex-digit hash of it when the chain name would be too long."""
    if len(fault_id) <= 16:
        return fault_id
    return hashlib.sha256(fault_id.encode()).hexdigest()[:12]


def chain_prefix(fault_id: str) -> str:
    """What every chain of this fault starts with (used to find leftovers)."""
    return f"GAMEDAY-{chain_token(fault_id)}-"


@dataclass(frozen=True, kw_only=True)
class NetworkPartition:
    line: int
    name: str | None = None
    direction: str = "both"
    ports: tuple[int, ...] = ()
    peers: tuple[ipaddress.IPv4Network, ...] = ()
    protocol: str = "all"
    kind: str = field(default="network_partition", init=False)

    def plan(self, ctx: HostContext, fault_id: str, duration: float) -> FaultPlan:
        lines = Lines(ctx, fault_id)
        hooks = [h for h in (("in", "INPUT"), ("out", "OUTPUT")) if self._cuts(h[0])]
        inject: list[str] = []
        verify: list[str] = []
        revert: list[str] = []
        for side, builtin in hooks:
            chain = chain_prefix(fault_id) + side
            inject.append(lines.cmd(*IPT, "-N", chain))
            inject.extend(lines.cmd(*IPT, "-A", chain, *rule) for rule in self._rules(ctx, side))
            inject.append(lines.cmd(*IPT, "-I", builtin, "1", "-j", chain))
            verify.append(lines.cmd(*IPT, "-S", chain))
            verify.append(lines.cmd(*IPT, "-C", builtin, "-j", chain))
            revert.append(lines.sh(_unhook_and_remove(builtin, chain)))
        return FaultPlan(
            kind=self.kind,
            fault_id=fault_id,
            host=ctx.name,
            capability=(
                *lines.sudo_capability(),
                lines.tools_capability(("iptables", "iptables")),
                lines.cmd(*IPT, "-S", "INPUT"),
            ),
            inject=tuple(inject),
            verify_active=tuple(verify),
            revert=tuple(revert),
            verify_reverted=(lines.sh(_no_rule_mentions(chain_prefix(fault_id))),),
            summary=self._summary(ctx),
        )

    def _cuts(self, side: str) -> bool:
        return self.direction == "both" or (side == "in") == (self.direction == "ingress")

    def _rules(self, ctx: HostContext, side: str) -> list[tuple[str, ...]]:
        """The chain's rules: loopback and the SSH port first (RETURN), then the DROPs."""
        lo, peer_flag, ssh_flag = (
            ("-i", "-s", "--dport") if side == "in" else ("-o", "-d", "--sport")
        )
        rules: list[tuple[str, ...]] = [
            (lo, "lo", "-j", "RETURN"),
            ("-p", "tcp", ssh_flag, str(ctx.ssh_port), "-j", "RETURN"),
        ]
        for peer in self.peers or (None,):
            where = (peer_flag, str(peer)) if peer is not None else ()
            for proto, port in _proto_ports(self.protocol, self.ports):
                match = ("-p", proto) if proto else ()
                to_port = ("--dport", str(port)) if port is not None else ()
                rules.append((*where, *match, *to_port, "-j", "DROP"))
        return rules

    def _summary(self, ctx: HostContext) -> str:
        way = {"ingress": "incoming", "egress": "outgoing", "both": "incoming and outgoing"}
        what = "all" if self.protocol == "all" else self.protocol.upper()
        text = f"Drop {way[self.direction]} {what} traffic"
        if self.ports:
            text += " on port" + ("s " if len(self.ports) > 1 else " ")
            text += ", ".join(str(p) for p in self.ports)
        if self.peers:
            text += " with " + ", ".join(str(p) for p in self.peers)
        text += f" (loopback and SSH port {ctx.ssh_port} stay open"
        if ctx.ssh_port in self.ports:
            text += f"; port {ctx.ssh_port} is the console's SSH port and is NOT cut"
        return text + ")"


def _proto_ports(protocol: str, ports: tuple[int, ...]) -> list[tuple[str | None, int | None]]:
    if not ports:
        return [(None if protocol == "all" else protocol, None)]
    protos = ("tcp", "udp") if protocol == "all" else (protocol,)
    return [(proto, port) for proto in protos for port in ports]


def _unhook_and_remove(builtin: str, chain: str) -> str:
    """Remove every jump to the chain (bounded), then flush and delete it; never fails."""
    unhook = render((*IPT, "-D", builtin, "-j", chain))
    return (
        f"for _ in 1 2 3 4 5 6 7 8; do {unhook} 2>/dev/null || break; done; "
        f"{render((*IPT, '-F', chain))} 2>/dev/null; "
        f"{render((*IPT, '-X', chain))} 2>/dev/null; true"
    )


def _no_rule_mentions(prefix: str) -> str:
    """Exit 0 iff iptables answers and no chain or jump of this fault is left."""
    return (
        f"rules=$({render((*IPT, '-S'))}) && "
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
    peers: tuple[ipaddress.IPv4Network, ...] = ()
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
