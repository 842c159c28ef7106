"""network_latency, packet_loss (tc netem) and bandwidth (tc tbf) on one interface.

The interface's root becomes an `htb` qdisc with a handle derived from the fault id (`67xx:`)
and two classes: every packet goes to class 2, where the fault's qdisc (netem or tbf, handle
`68xx:`) shapes it — except the console's SSH traffic (source or destination port = the
host's SSH port, IPv4 and IPv6), which u32 filters send to class 1, unshaped: a shaping fault
never slows or cuts the console's own path (its lease and kill switch). (htb, not prio: some
kernels ship htb and tbf but no prio.) A revert deletes the root by its handle (the whole tree,
filters included), so it removes only a qdisc of its own, and a sweep can recognise gameday's
qdiscs. A root qdisc shapes outgoing traffic: these faults slow what the host sends. An
interface that already has a non-default root qdisc is refused, never replaced.
`interface: auto` is resolved on the host to the device of the default route by a fixed
script fragment; inject records the device in the state directory so that revert acts on the
same device even if routes changed meanwhile.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

from gameday.core.faults.base import (
    FaultPlan,
    HostContext,
    Lines,
    fail,
    interface_of,
    label,
)
from gameday.core.shell import render
from gameday.core.yamlsrc import MapNode

_DEFAULT_ROUTE_DEVICE = (
    "ip -o route show default | "
    "awk '{for (i = 1; i < NF; i++) if ($i == \"dev\") {print $(i + 1); exit}}'"
)
"""Fixed: prints the device of the first default route, nothing when there is none."""

NETEM_MISSING = "kernel has no netem (sch_netem): latency and loss faults cannot run on this host"
_RATE = re.compile(r"(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit)", re.IGNORECASE)
_RATE_UNITS = {"bit": 1, "kbit": 1000, "mbit": 1000_000, "gbit": 1000_000_000}
TBF_LATENCY = "400ms"
"""How long a packet may wait in the tbf queue before it is dropped."""


def qdisc_handle(fault_id: str) -> str:
    """`67xx:`, a handle gameday uses for the root qdisc of this fault."""
    return f"{0x6700 + (zlib.crc32(fault_id.encode()) & 0xFF):x}:"


def shaping_handle(fault_id: str) -> str:
    """`68xx:`, the handle of the fault's shaping qdisc under the root's class 2."""
    return f"{0x6800 + (zlib.crc32(fault_id.encode()) & 0xFF):x}:"


CLASS_RATE = ("rate", "10gbit", "quantum", "60000")
"""Both htb classes: no limit of their own (the shaping is the child qdisc's)."""


def ssh_exempt_filters(handle: str, ssh_port: int) -> list[tuple[str, ...]]:
    """`tc filter add` arguments (after `dev DEV`) sending the SSH port's traffic to class 1."""
    found: list[tuple[str, ...]] = []
    for prio, protocol, selector in (("1", "ip", "ip"), ("2", "ipv6", "ip6")):
        for direction in ("sport", "dport"):
            found.append(
                ("parent", handle, "protocol", protocol, "prio", prio, "u32", "match",
                 selector, direction, str(ssh_port), "0xffff", "flowid", f"{handle}1")
            )  # fmt: skip
    return found


class _Device:
    """How a script names the interface: a rendered word, or `"$dev"` set by a prelude."""

    def __init__(self, lines: Lines, interface: str) -> None:
        self.lines = lines
        self.auto = interface == "auto"
        self.word = '"$dev"' if self.auto else render((interface,))
        self.label = "the default-route interface" if self.auto else interface
        self.file = lines.state("dev")

    def prelude(self, phase: str) -> str:
        """Sets `$dev` for `auto`: fresh from the routes at capability and inject (which also
        records it), from the recorded file afterwards."""
        if not self.auto:
            return ""
        missing = fail("no default route on this host: set interface: explicitly")
        if phase == "fresh":
            return f'dev=$({_DEFAULT_ROUTE_DEVICE}); [ -n "$dev" ] || {missing}; '
        if phase == "record":
            return (
                f'dev=$({_DEFAULT_ROUTE_DEVICE}); [ -n "$dev" ] || {missing}; '
                f"{self.lines.make_state_dir()} && "
                f"printf '%s\\n' \"$dev\" > {render((self.file,))} && "
            )
        return (
            f"dev=$(cat {render((self.file,))} 2>/dev/null); "
            f'[ -n "$dev" ] || dev=$({_DEFAULT_ROUTE_DEVICE}); [ -n "$dev" ] || {missing}; '
        )

    def tc(self, *before_dev: str, after: tuple[str, ...] = ()) -> str:
        """`tc <before_dev…> dev <device> <after…>` with every word rendered."""
        tail = f" {render(after)}" if after else ""
        return f"{render(('tc', *before_dev, 'dev'))} {self.word}{tail}"


@dataclass(frozen=True, kw_only=True)
class _RootQdisc:
    """A root qdisc fault; subclasses give the qdisc kind and its parameters."""

    line: int
    name: str | None = None
    interface: str = "auto"

    @property
    def qdisc(self) -> str:
        raise NotImplementedError

    def qdisc_args(self) -> tuple[str, ...]:
        raise NotImplementedError

    def describe(self, where: str) -> str:
        raise NotImplementedError

    def extra_capability(self, lines: Lines) -> tuple[str, ...]:
        return ()

    def extra_tools(self) -> tuple[tuple[str, str], ...]:
        return ()

    def build(self, kind: str, ctx: HostContext, fault_id: str) -> FaultPlan:
        lines = Lines(ctx, fault_id)
        dev = _Device(lines, self.interface)
        handle, child = qdisc_handle(fault_id), shaping_handle(fault_id)
        ours = render((f"qdisc htb {handle} root",))
        shaped = render((f"qdisc {self.qdisc} {child} parent {handle}2",))
        exempt = render((f"flowid {handle}1",))
        show = dev.tc("qdisc", "show")
        grep = render(("grep", "-q", "-F", "-e"))
        grep_ours = f"{grep} {ours}"
        tools = [("tc", "iproute2"), *([("ip", "iproute2")] if dev.auto else [])]
        tools.extend(self.extra_tools())
        capability = [*lines.sudo_capability(), lines.tools_capability(*tools)]
        capability.extend(self.extra_capability(lines))
        capability.append(lines.sh(dev.prelude("fresh") + _refuse_foreign_root(dev)))
        if dev.auto:
            capability.append(lines.state_dir_capability())
        steps: list[tuple[str, ...]] = [
            ("qdisc", "add", "root", "handle", handle, "htb", "default", "2"),
            ("class", "add", "parent", handle, "classid", f"{handle}1", "htb", *CLASS_RATE),
            ("class", "add", "parent", handle, "classid", f"{handle}2", "htb", *CLASS_RATE),
            ("qdisc", "add", "parent", f"{handle}2", "handle", child, *self.qdisc_args()),
            *(("filter", "add", *f) for f in ssh_exempt_filters(handle, ctx.ssh_port)),
        ]
        inject = _steps(lines, dev, steps)
        delete = dev.tc("qdisc", "del", after=("root", "handle", handle))
        filters = dev.tc("filter", "show", after=("parent", handle))
        return FaultPlan(
            kind=kind,
            fault_id=fault_id,
            host=ctx.name,
            capability=tuple(capability),
            inject=inject,
            verify_active=(
                lines.sh(
                    f"{dev.prelude('recorded')}out=$({show}) && "
                    f"printf '%s\\n' \"$out\" | {grep_ours} && "
                    f"printf '%s\\n' \"$out\" | {grep} {shaped} && "
                    f"{filters} | {grep} {exempt}"
                ),
            ),
            revert=(
                lines.sh(
                    f"{dev.prelude('recorded')}if {show} 2>/dev/null | {grep_ours}; "
                    f"then {delete}; fi"
                ),
            ),
            verify_reverted=(
                lines.sh(
                    f"{dev.prelude('recorded')}out=$({show}) && "
                    f"! printf '%s\\n' \"$out\" | {grep_ours}"
                ),
            ),
            summary=f"{self.describe(dev.label)}; {ssh_exempt_words(ctx.ssh_port)}",
            cleanup=(lines.cmd("rm", "-f", dev.file),) if dev.auto else (),
        )


def ssh_exempt_words(ssh_port: int) -> str:
    return f"the console's SSH port {ssh_port} is exempt (unshaped class)"


def _steps(lines: Lines, dev: _Device, steps: list[tuple[str, ...]]) -> tuple[str, ...]:
    """The inject lines: one `tc` command each (the first one records the device for auto)."""
    if not dev.auto:
        return tuple(
            lines.cmd("tc", step[0], step[1], "dev", dev.label, *step[2:]) for step in steps
        )
    first, *rest = steps
    record = lines.sh(dev.prelude("record") + dev.tc(first[0], first[1], after=first[2:]))
    others = [lines.sh(dev.prelude("recorded") + dev.tc(s[0], s[1], after=s[2:])) for s in rest]
    return (record, *others)


def _refuse_foreign_root(dev: _Device) -> str:
    """Exit 1 when the device's root qdisc is not the kernel's default (handle 0:). The shell
    reads `tc`'s output word by word itself (no awk, no pipe: every host runs this at once);
    each qdisc's line reads `qdisc KIND HANDLE root|parent ...`."""
    return (
        f"out=$({dev.tc('qdisc', 'show')}) || exit 1; root=; set -f; set -- $out; "
        "while [ $# -ge 4 ]; do "
        'if [ "$1" = qdisc ] && [ "$4" = root ] && [ "$3" != 0: ]; then root="$2 $3"; break; fi; '
        "shift; done; "
        '[ -z "$root" ] || { '
        + render(("printf", "%s already has a root qdisc (%s); gameday will not replace it\\n"))
        + f' {dev.word} "$root" >&2; exit 1; }}'
    )


def tc_time(seconds: float) -> str:
    """A tc time: whole milliseconds as `100ms`, otherwise microseconds `1500us`."""
    micros = round(seconds * 1_000_000)
    return f"{micros // 1000}ms" if micros % 1000 == 0 else f"{micros}us"


def _netem_capability(lines: Lines) -> tuple[str, ...]:
    """Try netem in a private, throwaway network namespace: nothing on the host changes."""
    probe = render(
        ("unshare", "-n", "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms")
    )
    scratch = render(("unshare", "-n", "true"))
    return (
        lines.sh(
            f"{scratch} >/dev/null 2>&1 || "
            + fail("cannot create a scratch network namespace (unshare -n) to test for netem")
        ),
        lines.sh(f"{probe} >/dev/null 2>&1 || {fail(NETEM_MISSING)}"),
    )


@dataclass(frozen=True, kw_only=True)
class NetworkLatency(_RootQdisc):
    delay: float
    jitter: float = 0.0
    kind: str = field(default="network_latency", init=False)

    @property
    def qdisc(self) -> str:
        return "netem"

    def qdisc_args(self) -> tuple[str, ...]:
        jitter = (tc_time(self.jitter),) if self.jitter else ()
        return ("netem", "delay", tc_time(self.delay), *jitter)

    def extra_capability(self, lines: Lines) -> tuple[str, ...]:
        return _netem_capability(lines)

    def extra_tools(self) -> tuple[tuple[str, str], ...]:
        return (("unshare", "util-linux"),)

    def describe(self, where: str) -> str:
        jitter = f" ± {tc_time(self.jitter)}" if self.jitter else ""
        return f"Delay every packet sent on {where} by {tc_time(self.delay)}{jitter} (tc netem)"

    def plan(self, ctx: HostContext, fault_id: str, duration: float) -> FaultPlan:
        return self.build(self.kind, ctx, fault_id)


@dataclass(frozen=True, kw_only=True)
class PacketLoss(_RootQdisc):
    percent: float
    kind: str = field(default="packet_loss", init=False)

    @property
    def qdisc(self) -> str:
        return "netem"

    def qdisc_args(self) -> tuple[str, ...]:
        return ("netem", "loss", f"{self.percent:g}%")

    def extra_capability(self, lines: Lines) -> tuple[str, ...]:
        return _netem_capability(lines)

    def extra_tools(self) -> tuple[tuple[str, str], ...]:
        return (("unshare", "util-linux"),)

    def describe(self, where: str) -> str:
        return f"Drop {self.percent:g}% of packets sent on {where} (tc netem)"

    def plan(self, ctx: HostContext, fault_id: str, duration: float) -> FaultPlan:
        return self.build(self.kind, ctx, fault_id)


@dataclass(frozen=True, kw_only=True)
class Bandwidth(_RootQdisc):
    rate_bits: int
    burst: int = 32 * 1024
    kind: str = field(default="bandwidth", init=False)

    @property
    def qdisc(self) -> str:
        return "tbf"

    def qdisc_args(self) -> tuple[str, ...]:
        return (
            "tbf",
            "rate",
            format_rate(self.rate_bits),
            "burst",
            str(self.burst),
            "latency",
            TBF_LATENCY,
        )

    def describe(self, where: str) -> str:
        return f"Limit traffic sent on {where} to {format_rate(self.rate_bits)} (tc tbf)"

    def plan(self, ctx: HostContext, fault_id: str, duration: float) -> FaultPlan:
        return self.build(self.kind, ctx, fault_id)


def parse_rate(text: str) -> int:
    """Bits per second in `500kbit`, `1mbit`, `1.5gbit` (SI multiples, as tc reads them)."""
    match = _RATE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a rate (use kbit, mbit or gbit: 500kbit, 10mbit, 1gbit)")
    bits = round(float(match.group(1)) * _RATE_UNITS[match.group(2).lower()])
    if bits < 8000:
        raise ValueError(f"{text!r} is below the smallest rate gameday accepts, 8kbit")
    return bits


def format_rate(bits: int) -> str:
    for unit in ("gbit", "mbit", "kbit"):
        if bits % _RATE_UNITS[unit] == 0:
            return f"{bits // _RATE_UNITS[unit]}{unit}"
    return f"{bits}bit"


def parse_latency(m: MapNode) -> NetworkLatency:
    delay = m.require("delay").as_duration(min=0.000001, max=60)
    jitter_node = m.get("jitter")
    jitter = 0.0 if jitter_node is None else jitter_node.as_duration(max=60)
    return NetworkLatency(
        line=m.line, name=label(m), interface=interface_of(m), delay=delay, jitter=jitter
    )


def parse_loss(m: MapNode) -> PacketLoss:
    node = m.require("percent")
    percent = node.as_float(min=0, max=100)
    if percent <= 0:
        raise node.error("must be more than 0 (a loss of 0% is no fault)")
    return PacketLoss(line=m.line, name=label(m), interface=interface_of(m), percent=percent)


def parse_bandwidth(m: MapNode) -> Bandwidth:
    rate = m.require("rate").convert(parse_rate)
    burst_node = m.get("burst")
    burst = 32 * 1024 if burst_node is None else burst_node.as_size(min=1600, max=1024**3)
    return Bandwidth(
        line=m.line, name=label(m), interface=interface_of(m), rate_bits=rate, burst=burst
    )
