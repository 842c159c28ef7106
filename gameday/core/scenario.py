"""Scenario files: what to break, where, for how long, and how we know it is fine.

`load_scenario(path)` reads a scenario YAML file into a frozen `Scenario`. Every problem is an
`InputError` naming the file, the line and the dotted field path (`steady_state.probes[1].max`);
when a file has several problems they are all collected and raised together as `InputErrors`,
sorted by line, so an author fixes a file in one pass. docs/scenarios.md is the user's reference
for every key read here.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Literal, TypeVar

import yaml

from gameday.core.faults import FaultSpec, parse_fault
from gameday.core.stages import StageSize, read_stages
from gameday.core.units import format_duration
from gameday.core.yamlsrc import MapNode, Node, load_yaml, read_text
from gameday.errors import InputError, InputErrors

T = TypeVar("T")
D = TypeVar("D")


@dataclass(frozen=True)
class TargetSpec:
    tags: Mapping[str, str] = field(default_factory=dict)
    """Every tag must match (AND)."""
    groups: tuple[str, ...] = ()
    """Host must be in at least one of these groups (OR); empty = no group condition."""
    hosts: tuple[str, ...] = ()
    """Host must be one of these names; empty = no name condition."""
    exclude: tuple[str, ...] = ()
    percentage: float | None = None
    count: int | None = None
    max_concurrent: int | None = None
    seed: int | None = None
    line: int = 0
    stages: tuple[StageSize, ...] = ()
    """The blast-radius ladder (cumulative sizes); empty: one stage of every target."""
    file: str = ""
    """The scenario file, for errors found once the inventory is known."""


ProbeKind = Literal["prometheus", "http", "command", "system"]


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


@dataclass(frozen=True)
class SteadyState:
    interval: float = 5.0
    probes: tuple[Probe, ...] = ()


@dataclass(frozen=True)
class Schedule:
    duration: float
    warmup: float = 0.0
    cooldown: float = 0.0
    line: int = 0


@dataclass(frozen=True)
class AbortRule:
    probe: str | None = None
    """None with `no_data` set: any probe without data."""
    above: float | None = None
    below: float | None = None
    for_samples: int = 1
    """Consecutive breaching samples before the rule fires."""
    no_data: int | None = None
    """Consecutive polls without a value before the rule fires."""
    line: int = 0


@dataclass(frozen=True)
class RollbackStep:
    name: str
    run: str
    host: str | None = None
    """None: run on every target host."""
    required: bool = True
    timeout: float = 60.0
    line: int = 0


@dataclass(frozen=True)
class Scenario:
    file: str
    sha256: str
    id: str
    title: str
    description: str
    hypothesis: str
    targets: TargetSpec
    steady_state: SteadyState
    faults: tuple[FaultSpec, ...]
    schedule: Schedule
    abort_when: tuple[AbortRule, ...] = ()
    rollback: tuple[RollbackStep, ...] = ()


# --- bounds (documented in docs/scenarios.md; keep both in step) ------------------------------
MAX_DURATION = 24 * 3600.0
MAX_PHASE = 3600.0
"""warmup and cooldown."""
MIN_INTERVAL = 1.0
MAX_INTERVAL = 3600.0
DEFAULT_INTERVAL = 5.0
MAX_FAULTS = 32
MAX_PROBES = 64
MAX_SAMPLES = 1000
"""Upper bound of `for` and `no_data` in abort rules."""
HTTP_MAX_TIMEOUT = 60.0
HTTP_MAX_REQUESTS = 100
COMMAND_MAX_TIMEOUT = 300.0
MAX_ROLLBACK_TIMEOUT = 3600.0

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
PROBE_NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")
# A scheme, a host part without spaces or credentials, then anything without whitespace.
URL_PATTERN = re.compile(r"https?://[A-Za-z0-9.\-\[\]:%_]+(?:[/?#]\S*)?", re.IGNORECASE)
HTTP_MEASURES = ("latency_p50", "latency_p95", "latency_max", "error_ratio")
SYSTEM_GAUGES = ("cpu", "memory", "load")
PROBE_KINDS: tuple[ProbeKind, ...] = ("prometheus", "http", "command", "system")

_TOP_KEYS = (
    "id",
    "title",
    "description",
    "hypothesis",
    "targets",
    "steady_state",
    "faults",
    "schedule",
    "abort_when",
    "rollback",
)
SCENARIO_KEYS = frozenset(_TOP_KEYS)
"""Top-level keys of a scenario file (also used to tell scenarios from inventories)."""

NO_DURATION = "a duration is required: gameday never starts an open-ended fault"


def load_scenario(path: Path | str) -> Scenario:
    """Read and validate a scenario file.

    Raises `InputError` (one problem) or `InputErrors` (several, sorted by line). Never raises
    anything else for bad file contents, whatever their bytes.
    """
    name = str(path)
    text = read_text(path)
    try:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as exc:
        raise InputError(name, 0, "", f"cannot read: {exc.strerror or exc}") from None
    root = load_yaml(path, text)
    return parse_scenario(root, digest)


def parse_scenario(root: Node, sha256: str = "") -> Scenario:
    """Validate an already-composed scenario document (see `load_scenario`)."""
    col = _Collector()
    top = root.as_map()
    col.check_keys(top, _TOP_KEYS)
    scenario_id = col.required(top, "id", _read_id)
    title = col.optional(top, "title", _read_line, "")
    description = col.optional(top, "description", lambda n: n.as_str().strip(), "")
    hypothesis = col.optional(top, "hypothesis", lambda n: n.as_str().strip(), "")
    targets = col.required(top, "targets", lambda n: _read_targets(n, col))
    watched = _watched_probe_names(top)
    steady = col.required(top, "steady_state", lambda n: _read_steady_state(n, col, watched))
    faults = col.required(top, "faults", lambda n: _read_faults(n, col))
    schedule = _read_schedule(top, col)
    probe_names = _declared_probe_names(top)
    abort_when = col.optional(top, "abort_when", lambda n: _read_aborts(n, col, probe_names), ())
    rollback = col.optional(top, "rollback", lambda n: _read_rollbacks(n, col), ())
    if steady is not None and schedule is not None and steady.interval > schedule.duration:
        col.add(
            InputError(
                root.file,
                schedule.line,
                "schedule.duration",
                f"{format_duration(schedule.duration)} is shorter than steady_state.interval "
                f"({format_duration(steady.interval)}): no sample would be taken during the fault",
            )
        )
    col.raise_if_any()
    # raise_if_any returned: every required part was read.
    assert scenario_id is not None and targets is not None and steady is not None
    assert faults is not None and schedule is not None
    return Scenario(
        file=root.file,
        sha256=sha256,
        id=scenario_id,
        title=title or scenario_id,
        description=description,
        hypothesis=hypothesis,
        targets=targets,
        steady_state=steady,
        faults=faults,
        schedule=schedule,
        abort_when=abort_when,
        rollback=rollback,
    )


class _Collector:
    """Gathers located errors so that one pass reports every problem of a file."""

    def __init__(self) -> None:
        self.errors: list[InputError] = []

    def add(self, error: InputError) -> None:
        self.errors.append(error)

    def attempt(self, read: Callable[[], T]) -> T | None:
        """`read()`, or None after recording the error(s) it raised."""
        try:
            return read()
        except InputErrors as exc:
            self.errors.extend(exc.errors)
        except InputError as exc:
            self.errors.append(exc)
        return None

    def each(self, items: list[Node], read: Callable[[Node], T]) -> list[tuple[Node, T]]:
        """`read` applied to every item; the items that fail are recorded and left out."""
        results: list[tuple[Node, T]] = []
        for item in items:
            value = self.attempt(functools.partial(read, item))
            if value is not None:
                results.append((item, value))
        return results

    def optional(self, m: MapNode, key: str, read: Callable[[Node], T], default: D) -> T | D:
        node = m.get(key)
        if node is None:
            return default
        value = self.attempt(lambda: read(node))
        return default if value is None else value

    def required(
        self, m: MapNode, key: str, read: Callable[[Node], T], problem: str = "is required"
    ) -> T | None:
        node = m.get(key)
        if node is None:
            where = f"{m.node.path}.{key}" if m.node.path else key
            self.add(InputError(m.file, m.line, where, problem))
            return None
        return self.attempt(lambda: read(node))

    def check_keys(self, m: MapNode, allowed: Iterable[str]) -> None:
        """Record every unknown key (not only the first), with a close match when there is one."""
        known = list(allowed)
        for key in m.keys():  # noqa: SIM118 (a MapNode is not a dict)
            if key in known:
                continue
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
            self.add(m.key_node(key).error(f"unknown key ({hint})"))

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        errors = sorted(self.errors, key=lambda e: (e.line, e.field))
        if len(errors) == 1:
            raise errors[0]
        raise InputErrors(errors)


# --- small readers ---------------------------------------------------------------------------
def _read_id(node: Node) -> str:
    value = node.as_str().strip()
    if not ID_PATTERN.fullmatch(value):
        raise node.error(
            f"{value!r} is not a scenario id: use lowercase letters, digits and dashes, "
            "starting with a letter or digit, at most 64 characters (e.g. checkout-partition)"
        )
    return value


def _read_line(node: Node) -> str:
    value = node.as_text()
    if "\n" in value:
        raise node.error("must be a single line")
    return value


def _read_names(node: Node, what: str) -> tuple[str, ...]:
    names = []
    for i, item in enumerate(node.as_str_list()):
        value = item.strip()
        if not value:
            where = node.child(node.raw, i) if node.is_list else node
            raise where.error(f"a {what} name must not be empty")
        names.append(value)
    return tuple(names)


def _read_percentage(node: Node) -> float:
    text = node.as_str().strip()
    if text.endswith("%"):
        try:
            value = float(text[:-1])
        except ValueError:
            raise node.error(f"{text!r} is not a percentage") from None
    else:
        value = node.as_float()
    if not 0 < value <= 100:
        raise node.error(f"must be more than 0 and at most 100, got {value:g}")
    return value


# --- targets ---------------------------------------------------------------------------------
def _read_targets(node: Node, col: _Collector) -> TargetSpec:
    m = node.as_map()
    col.check_keys(
        m, ("select", "exclude", "percentage", "count", "stages", "max_concurrent", "seed")
    )
    select = col.required(
        m,
        "select",
        _read_select,
        "is required: name the hosts by tags, groups or hosts (or write `select: all`)",
    )
    tags, groups, hosts = select if select is not None else ({}, (), ())
    exclude = col.optional(m, "exclude", lambda n: _read_names(n, "host"), ())
    percentage = col.optional(m, "percentage", _read_percentage, None)
    count = col.optional(m, "count", lambda n: n.as_int(min=1, max=100_000), None)
    max_concurrent = col.optional(m, "max_concurrent", lambda n: n.as_int(min=1), None)
    seed = col.optional(m, "seed", lambda n: n.as_int(min=0, max=2**63 - 1), None)
    stages = col.optional(m, "stages", read_stages, ())
    _check_stages_alone(m, col)
    return TargetSpec(
        tags=MappingProxyType(tags),
        groups=groups,
        hosts=hosts,
        exclude=exclude,
        percentage=percentage,
        count=count,
        max_concurrent=max_concurrent,
        seed=seed,
        line=node.line,
        stages=stages,
        file=node.file,
    )


def _check_stages_alone(m: MapNode, col: _Collector) -> None:
    """`stages` says how many hosts each stage takes: `count` or `percentage` beside it would
    be a second answer to the same question."""
    if "stages" not in m:
        return
    for key in ("count", "percentage"):
        if key in m:
            col.add(
                m.key_node(key).error(
                    f"{key} and stages exclude each other: the last stage is the whole blast "
                    "radius; write that size as the last entry of stages"
                )
            )


def _read_select(node: Node) -> tuple[dict[str, str], tuple[str, ...], tuple[str, ...]]:
    if node.is_scalar:
        if node.as_str().strip() == "all":
            return {}, (), ()
        raise node.error("expected a mapping with tags, groups or hosts, or the word `all`")
    m = node.as_map()
    col = _Collector()
    col.check_keys(m, ("tags", "groups", "hosts"))
    no_tags: dict[str, str] = {}
    tags = col.optional(m, "tags", _read_tags, no_tags)
    groups = col.optional(m, "groups", lambda n: _read_names(n, "group"), ())
    hosts = col.optional(m, "hosts", lambda n: _read_names(n, "host"), ())
    col.raise_if_any()
    if not (tags or groups or hosts):
        raise node.error(
            "select names no host: give tags, groups or hosts (or write `select: all` to mean "
            "every host of the inventory)"
        )
    return tags, groups, hosts


def _read_tags(node: Node) -> dict[str, str]:
    tags: dict[str, str] = {}
    for key, value in node.as_map().items():
        tags[key] = value.as_text()
    return tags


# --- steady state ----------------------------------------------------------------------------
def _read_steady_state(node: Node, col: _Collector, watched: set[str]) -> SteadyState:
    m = node.as_map()
    col.check_keys(m, ("interval", "probes"))
    interval = col.optional(
        m,
        "interval",
        lambda n: n.as_duration(min=MIN_INTERVAL, max=MAX_INTERVAL),
        DEFAULT_INTERVAL,
    )
    probes = col.required(
        m,
        "probes",
        lambda n: _read_probes(n, col, watched),
        "is required: at least one probe tells whether the hypothesis holds",
    )
    return SteadyState(interval=interval, probes=probes or ())


def _declared_probe_names(top: MapNode) -> set[str]:
    """Every probe name written in the file, valid probe or not, so that one broken probe does
    not also turn each abort rule that names it into an error."""
    names: set[str] = set()
    steady = top.get("steady_state")
    if steady is None or not steady.is_map:
        return names
    probes = steady.raw.value
    for key, value in probes:
        if key.value != "probes" or not isinstance(value, yaml.SequenceNode):
            continue
        for item in value.value:
            if isinstance(item, yaml.MappingNode):
                names.update(
                    str(v.value)
                    for k, v in item.value
                    if k.value == "name" and isinstance(v, yaml.ScalarNode)
                )
    return names


def _watched_probe_names(top: MapNode) -> set[str]:
    """Probe names that an `above`/`below` abort rule watches, read from the raw file."""
    node = top.get("abort_when")
    names: set[str] = set()
    if node is None or not isinstance(node.raw, yaml.SequenceNode):
        return names
    for item in node.raw.value:
        if not isinstance(item, yaml.MappingNode):
            continue
        keys = {str(k.value): v for k, v in item.value if isinstance(k, yaml.ScalarNode)}
        probe = keys.get("probe")
        if isinstance(probe, yaml.ScalarNode) and ("above" in keys or "below" in keys):
            names.add(str(probe.value))
    return names


def _read_probes(node: Node, col: _Collector, watched: set[str]) -> tuple[Probe, ...]:
    items = node.as_list()
    if not items:
        raise node.error("needs at least one probe: nothing would tell whether the system is fine")
    if len(items) > MAX_PROBES:
        raise node.error(f"at most {MAX_PROBES} probes")
    probes: list[Probe] = []
    seen: dict[str, int] = {}
    for item, probe in col.each(items, functools.partial(_read_probe, watched=watched)):
        if probe.name in seen:
            col.add(
                InputError(
                    item.file,
                    probe.line,
                    f"{item.path}.name",
                    f"probe name {probe.name!r} is already used at line {seen[probe.name]}",
                )
            )
            continue
        seen[probe.name] = probe.line
        probes.append(probe)
    return tuple(probes)


_PROBE_COMMON = ("name", "min", "max", "unit")
_PROBE_KEYS: Mapping[str, tuple[str, ...]] = {
    "prometheus": ("prometheus",),
    "http": ("http", "measure", "max_latency"),
    "command": ("command", "host"),
    "system": ("system",),
}


def _read_probe(node: Node, watched: set[str]) -> Probe:
    m = node.as_map()
    col = _Collector()
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
    col = _Collector()
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
    col = _Collector()
    needed = "is required: the inventory host the command runs on"
    if node.is_scalar:
        run = col.attempt(node.as_text)
        host = col.required(m, "host", _read_host_name, needed)
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
        host = col.required(block, "host", _read_host_name, needed)
        timeout = col.optional(
            block, "timeout", lambda n: n.as_duration(min=0.1, max=COMMAND_MAX_TIMEOUT), 5.0
        )
    col.raise_if_any()
    return replace(base, query=run or "", host=host, timeout=timeout)


def _read_host_name(node: Node) -> str:
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
    col = _Collector()
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


# --- faults, schedule ------------------------------------------------------------------------
def _read_faults(node: Node, col: _Collector) -> tuple[FaultSpec, ...]:
    items = node.as_list()
    if not items:
        raise node.error("needs at least one fault: a GameDay without a fault tests nothing")
    if len(items) > MAX_FAULTS:
        raise node.error(f"at most {MAX_FAULTS} faults")
    return tuple(fault for _, fault in col.each(items, parse_fault))


def _read_schedule(top: MapNode, col: _Collector) -> Schedule | None:
    node = top.get("schedule")
    if node is None:
        col.add(InputError(top.file, top.line, "schedule.duration", NO_DURATION))
        return None
    m = col.attempt(node.as_map)
    if m is None:
        return None
    col.check_keys(m, ("warmup", "duration", "cooldown"))
    duration = col.required(
        m, "duration", lambda n: n.as_duration(min=1.0, max=MAX_DURATION), NO_DURATION
    )
    warmup = col.optional(m, "warmup", lambda n: n.as_duration(min=0, max=MAX_PHASE), 0.0)
    cooldown = col.optional(m, "cooldown", lambda n: n.as_duration(min=0, max=MAX_PHASE), 0.0)
    if duration is None:
        return None
    return Schedule(duration=duration, warmup=warmup, cooldown=cooldown, line=node.line)


# --- abort rules, rollback -------------------------------------------------------------------
def _read_aborts(node: Node, col: _Collector, probes: set[str]) -> tuple[AbortRule, ...]:
    read = functools.partial(_read_abort, probes=probes)
    return tuple(rule for _, rule in col.each(node.as_list(), read))


def _read_abort(node: Node, probes: set[str]) -> AbortRule:
    m = node.as_map()
    col = _Collector()
    col.check_keys(m, ("probe", "above", "below", "for", "no_data"))
    probe = col.optional(m, "probe", lambda n: _read_probe_ref(n, probes), None)
    above = col.optional(m, "above", lambda n: n.as_float(), None)
    below = col.optional(m, "below", lambda n: n.as_float(), None)
    for_samples = col.optional(m, "for", lambda n: n.as_int(min=1, max=MAX_SAMPLES), 1)
    no_data = col.optional(m, "no_data", lambda n: n.as_int(min=1, max=MAX_SAMPLES), None)
    conditions = [key for key in ("above", "below", "no_data") if key in m]
    if not conditions:
        col.add(node.error("needs above, below or no_data: when should the experiment stop?"))
    elif len(conditions) > 1:
        col.add(
            m.require(conditions[1]).error(
                f"one condition per rule: {' and '.join(conditions)} given; write two rules"
            )
        )
    elif conditions == ["no_data"] and "for" in m:
        col.add(m.require("for").error("no_data already counts polls; remove for"))
    elif conditions != ["no_data"] and "probe" not in m:
        col.add(InputError(node.file, node.line, f"{node.path}.probe", "is required"))
    col.raise_if_any()
    return AbortRule(
        probe=probe,
        above=above,
        below=below,
        for_samples=for_samples,
        no_data=no_data,
        line=node.line,
    )


def _read_probe_ref(node: Node, probes: set[str]) -> str:
    value = node.as_text()
    if value not in probes:
        known = ", ".join(sorted(probes)) or "none"
        raise node.error(f"no probe named {value!r} in steady_state.probes (probes: {known})")
    return value


def _read_rollbacks(node: Node, col: _Collector) -> tuple[RollbackStep, ...]:
    return tuple(step for _, step in col.each(node.as_list(), _read_rollback))


def _read_rollback(node: Node) -> RollbackStep:
    m = node.as_map()
    col = _Collector()
    col.check_keys(m, ("name", "run", "host", "required", "timeout"))
    name = col.required(m, "name", _read_line)
    run = col.required(m, "run", lambda n: n.as_text())
    host = col.optional(m, "host", _read_host_name, None)
    required = col.optional(m, "required", lambda n: n.as_bool(), True)
    timeout = col.optional(
        m, "timeout", lambda n: n.as_duration(min=1.0, max=MAX_ROLLBACK_TIMEOUT), 60.0
    )
    col.raise_if_any()
    assert name is not None and run is not None
    return RollbackStep(
        name=name, run=run, host=host, required=required, timeout=timeout, line=node.line
    )
