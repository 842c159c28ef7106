"""Steady-state probes: what a probe is, and reading one `steady_state.probes` entry.

Four kinds: `prometheus` (a PromQL instant query), `http` (a few GETs per sample: latency or
error ratio), `command` (a number printed by a command on an inventory host) and `system` (the
console's own machine through psutil). docs/probes.md is the reference for every key read here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

from gameday.core.formats.collect import Collector
from gameday.core.yamlsrc import MapNode, Node

ProbeKind = Literal["prometheus", "http", "command", "system"]
PROBE_KINDS: tuple[ProbeKind, ...] = ("prometheus", "http", "command", "system")
HTTP_MAX_TIMEOUT = 60.0
HTTP_MAX_REQUESTS = 100
COMMAND_MAX_TIMEOUT = 300.0
PROBE_NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")
URL_PATTERN = re.compile(r"https?://[A-Za-z0-9.\-\[\]:%_]+(?:[/?#]\S*)?", re.IGNORECASE)
HTTP_MEASURES = ("latency_p50", "latency_p95", "latency_max", "error_ratio")
SYSTEM_GAUGES = ("cpu", "memory", "load")


@dataclass(frozen=True)
class Probe:
    name: str
    kind: ProbeKind
    query: str = ""
    """prometheus: the PromQL; command: the shell command; system: cpu|memory|load."""
    url: str = ""
    """http only."""
    host: str | None = None
    """command only: the inventory host it runs on."""
    timeout: float = 5.0
    expect_status: tuple[int, ...] = (200,)
    body_contains: str | None = None
    requests: int = 3
    """http only: requests per interval."""
    measure: str = "latency_p95"
    """http only: the number compared: latency_p50|latency_p95|latency_max|error_ratio."""
    min: float | None = None
    max: float | None = None
    unit: str = ""
    line: int = 0


_PROBE_COMMON = ("name", "min", "max", "unit")
_PROBE_KEYS: Mapping[str, tuple[str, ...]] = {
    "prometheus": ("prometheus",),
    "http": ("http", "measure", "max_latency"),
    "command": ("command", "host"),
    "system": ("system",),
}


def read_probe(node: Node, watched: set[str]) -> Probe:
    m = node.as_map()
    col = Collector()
    kinds = [kind for kind in PROBE_KINDS if kind in m]
    if len(kinds) != 1:
        col.check_keys(m, (*_PROBE_COMMON, *(k for keys in _PROBE_KEYS.values() for k in keys)))
        col.add(
            node.error(
                f"has {' and '.join(kinds)}: a probe measures one thing, keep one"
                if kinds
                else "needs one of prometheus, http, command or system (what to measure)"
            )
        )
        col.raise_if_any()
    kind = kinds[0]
    col.check_keys(m, (*_PROBE_COMMON, *_PROBE_KEYS[kind]))
    base = Probe(
        name=col.required(m, "name", _read_probe_name) or "",
        kind=kind,
        min=col.optional(m, "min", lambda n: n.as_float(), None),
        max=col.optional(m, "max", lambda n: n.as_float(), None),
        unit=col.optional(m, "unit", _read_unit, ""),
        line=node.line,
    )
    probe = col.attempt(lambda: _PROBE_READERS[kind](m, base))
    if probe is None:
        col.raise_if_any()
        raise AssertionError("unreachable: a failed read records an error")
    if probe.min is None and probe.max is None and probe.name not in watched and not col.errors:
        # a number nobody compares with anything is a typo waiting to be believed
        col.add(
            node.error(
                "needs min or max (the range its value stays in while the system is healthy), "
                "or an abort_when rule with above/below that watches it"
            )
        )
    if probe.min is not None and probe.max is not None and probe.min > probe.max:
        col.add(m.require("min").error(f"min ({probe.min:g}) is greater than max ({probe.max:g})"))
    col.raise_if_any()
    return probe


def _read_probe_name(node: Node) -> str:
    value = node.as_str().strip()
    if not PROBE_NAME_PATTERN.fullmatch(value):
        raise node.error(
            f"{value!r} is not a probe name: start with a letter, then letters, digits, "
            "_ . or - (at most 64 characters)"
        )
    return value


def _read_unit(node: Node) -> str:
    value = node.as_str().strip()
    if len(value) > 16 or "\n" in value:
        raise node.error("a unit is a short label such as %, ms, req/s")
    return value


_PAIRS = {")": "(", "]": "[", "}": "{"}


def _read_promql(node: Node) -> str:
    """PromQL text, with the one check that catches most typos: balanced brackets and quotes.
    The query itself is only judged by Prometheus, at preflight."""
    query = node.as_text()
    stack: list[str] = []
    quote = ""
    escaped = False
    comment = False
    for char in query:
        if comment:
            comment = char != "\n"
        elif quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote != "`":  # backtick strings are raw
                escaped = True
            elif char == quote:
                quote = ""
        elif char == "#":
            comment = True
        elif char in "\"'`":
            quote = char
        elif char in "([{":
            stack.append(char)
        elif char in _PAIRS and (not stack or stack.pop() != _PAIRS[char]):
            raise node.error(f"PromQL has an unmatched {char!r}")
    if quote:
        raise node.error(f"PromQL has an unclosed {quote} string")
    if stack:
        raise node.error(f"PromQL has an unclosed {stack[-1]!r}")
    return query


def _with_promql(m: MapNode, base: Probe) -> Probe:
    return replace(base, query=_read_promql(m.require("prometheus")))


def _with_http(m: MapNode, base: Probe) -> Probe:
    """The http block plus `measure` / `max_latency`, which also settle max and unit."""
    col = Collector()
    node = m.require("http")
    probe = base
    if node.is_scalar:
        probe = replace(probe, url=col.attempt(lambda: _read_url(node)) or "")
    else:
        block = node.as_map()
        col.check_keys(block, ("url", "timeout", "expect_status", "body_contains", "requests"))
        probe = replace(
            probe,
            url=col.required(block, "url", _read_url) or "",
            timeout=col.optional(
                block, "timeout", lambda n: n.as_duration(min=0.01, max=HTTP_MAX_TIMEOUT), 5.0
            ),
            expect_status=col.optional(block, "expect_status", _read_statuses, (200,)),
            body_contains=col.optional(block, "body_contains", lambda n: n.as_str() or None, None),
            requests=col.optional(
                block, "requests", lambda n: n.as_int(min=1, max=HTTP_MAX_REQUESTS), 3
            ),
        )
    measure = col.optional(m, "measure", _read_measure, "latency_p95")
    max_latency = col.optional(m, "max_latency", lambda n: n.as_duration(min=0.001, max=60), None)
    if max_latency is not None:
        for clash in ("measure", "max", "min"):
            if clash in m:
                col.add(
                    m.require(clash).error(
                        f"max_latency already sets measure and max; remove {clash} "
                        "or remove max_latency"
                    )
                )
        if base.unit not in ("", "ms"):
            col.add(m.require("unit").error("max_latency is compared in ms; remove unit"))
        probe = replace(probe, max=round(max_latency * 1000, 3))
        measure = "latency_p95"
    if measure == "error_ratio":
        for key, value in (("min", probe.min), ("max", probe.max)):
            if value is not None and not 0 <= value <= 100:
                col.add(
                    m.require(key).error(
                        f"error_ratio is a percentage from 0 to 100 (1 = 1%), got {value:g}"
                    )
                )
        if base.unit not in ("", "%"):
            col.add(m.require("unit").error('error_ratio is a percentage; write unit: "%"'))
        unit = "%"
    else:
        if base.unit not in ("", "ms") and max_latency is None:
            col.add(m.require("unit").error(f"{measure} is measured in ms; write unit: ms"))
        unit = "ms"
    col.raise_if_any()
    return replace(probe, measure=measure, unit=unit)


def _read_url(node: Node) -> str:
    url = node.as_text()
    if re.match(r"https?://[^/?#]*@", url, re.IGNORECASE):
        # a password here would be printed in every preview, timeline and findings document
        raise node.error(
            "credentials in a probe URL are not supported: probe an endpoint that needs none"
        )
    if not URL_PATTERN.fullmatch(url):
        raise node.error(f"{url!r} is not an http:// or https:// URL")
    return url


def _read_statuses(node: Node) -> tuple[int, ...]:
    items = node.as_list() if node.is_list else [node]
    if not items:
        raise node.error("needs at least one status code")
    return tuple(item.as_int(min=100, max=599) for item in items)


def _read_measure(node: Node) -> str:
    value = node.as_str().strip()
    if value not in HTTP_MEASURES:
        raise node.error(f"{value!r} is not one of {', '.join(HTTP_MEASURES)}")
    return value


def _with_command(m: MapNode, base: Probe) -> Probe:
    node = m.require("command")
    col = Collector()
    needed = "is required: the inventory host the command runs on"
    if node.is_scalar:
        run = col.attempt(node.as_text)
        host = col.required(m, "host", read_host_name, needed)
        timeout = 5.0
    else:
        block = node.as_map()
        col.check_keys(block, ("host", "run", "timeout"))
        if "host" in m:
            col.add(
                m.require("host").error(
                    "host is already inside command:; remove this one (or write command as text)"
                )
            )
        run = col.required(block, "run", lambda n: n.as_text())
        host = col.required(block, "host", read_host_name, needed)
        timeout = col.optional(
            block, "timeout", lambda n: n.as_duration(min=0.1, max=COMMAND_MAX_TIMEOUT), 5.0
        )
    col.raise_if_any()
    return replace(base, query=run or "", host=host, timeout=timeout)


def read_host_name(node: Node) -> str:
    value = node.as_text()
    if any(c.isspace() for c in value):
        raise node.error(f"{value!r} is not a host name")
    return value


def _with_system(m: MapNode, base: Probe) -> Probe:
    node = m.require("system")
    gauge = node.as_str().strip()
    if gauge not in SYSTEM_GAUGES:
        raise node.error(f"{gauge!r} is not one of {', '.join(SYSTEM_GAUGES)}")
    if gauge == "load":
        return replace(base, query=gauge)
    col = Collector()
    for key, value in (("min", base.min), ("max", base.max)):
        if value is not None and not 0 <= value <= 100:
            col.add(m.require(key).error(f"{gauge} is a percentage from 0 to 100, got {value:g}"))
    col.raise_if_any()
    return replace(base, query=gauge, unit=base.unit or "%")


_PROBE_READERS: Mapping[str, Callable[[MapNode, Probe], Probe]] = {
    "prometheus": _with_promql,
    "http": _with_http,
    "command": _with_command,
    "system": _with_system,
}
