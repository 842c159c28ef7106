"""Scenario files: what to break, where, for how long, and how we know it is fine.

`load_scenario(path)` reads a scenario YAML file into a frozen `Scenario`. Every problem is an
`InputError` naming the file, the line and the dotted field path (`steady_state.probes[1].max`);
when a file has several problems they are all collected and raised together as `InputErrors`,
sorted by line, so an author fixes a file in one pass. docs/scenarios.md is the user's reference
for every key read here.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

import yaml

from gameday.core.faults import FaultSpec, parse_fault
from gameday.core.formats.collect import Collector
from gameday.core.formats.probes import Probe, read_host_name, read_probe
from gameday.core.formats.stages import StageSize, read_stages
from gameday.core.units import format_duration
from gameday.core.yamlsrc import MapNode, Node, load_yaml, read_text
from gameday.errors import InputError

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
MAX_ROLLBACK_TIMEOUT = 3600.0

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
# A scheme, a host part without spaces or credentials, then anything without whitespace.

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
    col = Collector()
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
def _read_targets(node: Node, col: Collector) -> TargetSpec:
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


def _check_stages_alone(m: MapNode, col: Collector) -> None:
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
    col = Collector()
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
def _read_steady_state(node: Node, col: Collector, watched: set[str]) -> SteadyState:
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


def _read_probes(node: Node, col: Collector, watched: set[str]) -> tuple[Probe, ...]:
    items = node.as_list()
    if not items:
        raise node.error("needs at least one probe: nothing would tell whether the system is fine")
    if len(items) > MAX_PROBES:
        raise node.error(f"at most {MAX_PROBES} probes")
    probes: list[Probe] = []
    seen: dict[str, int] = {}
    for item, probe in col.each(items, functools.partial(read_probe, watched=watched)):
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


# --- faults, schedule ------------------------------------------------------------------------
def _read_faults(node: Node, col: Collector) -> tuple[FaultSpec, ...]:
    items = node.as_list()
    if not items:
        raise node.error("needs at least one fault: a GameDay without a fault tests nothing")
    if len(items) > MAX_FAULTS:
        raise node.error(f"at most {MAX_FAULTS} faults")
    return tuple(fault for _, fault in col.each(items, parse_fault))


def _read_schedule(top: MapNode, col: Collector) -> Schedule | None:
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
def _read_aborts(node: Node, col: Collector, probes: set[str]) -> tuple[AbortRule, ...]:
    read = functools.partial(_read_abort, probes=probes)
    return tuple(rule for _, rule in col.each(node.as_list(), read))


def _read_abort(node: Node, probes: set[str]) -> AbortRule:
    m = node.as_map()
    col = Collector()
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


def _read_rollbacks(node: Node, col: Collector) -> tuple[RollbackStep, ...]:
    return tuple(step for _, step in col.each(node.as_list(), _read_rollback))


def _read_rollback(node: Node) -> RollbackStep:
    m = node.as_map()
    col = Collector()
    col.check_keys(m, ("name", "run", "host", "required", "timeout"))
    name = col.required(m, "name", _read_line)
    run = col.required(m, "run", lambda n: n.as_text())
    host = col.optional(m, "host", read_host_name, None)
    required = col.optional(m, "required", lambda n: n.as_bool(), True)
    timeout = col.optional(
        m, "timeout", lambda n: n.as_duration(min=1.0, max=MAX_ROLLBACK_TIMEOUT), 60.0
    )
    col.raise_if_any()
    assert name is not None and run is not None
    return RollbackStep(
        name=name, run=run, host=host, required=required, timeout=timeout, line=node.line
    )
