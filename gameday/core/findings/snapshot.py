"""The scenario snapshot read back, typed: what the journal recorded of the scenario.

`read_snapshot(SessionStarted.scenario)` gives a frozen `ScenarioSnapshot` to every view that has
only the journal (the findings, `gameday watch`, the history). The JSON was written by whichever
gameday ran the session (`gameday.core.session.snapshot`); a newer or older writer may nest
things differently (`probes` at the top or under `steady_state`, `for` or `for_samples`,
durations as seconds or as `30s`), so the reader is tolerant: it never raises, and what it
cannot find is `None` (the findings then say it is not in the journal).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gameday.core.formats.scenario import AbortRule
from gameday.core.session.journal import redact
from gameday.core.units import format_duration, parse_duration
from gameday.core.wording import bounds_text, number, rule_text


@dataclass(frozen=True)
class FaultParams:
    kind: str
    params: tuple[tuple[str, str], ...]
    """(parameter, value as text), redacted."""


@dataclass(frozen=True)
class RollbackInfo:
    name: str
    command: str
    host: str
    """A host name, or "every target"."""
    required: bool


@dataclass(frozen=True)
class ScenarioSnapshot:
    """What the journal recorded of the scenario; `None` where it recorded nothing."""

    recorded: bool
    """False: no snapshot at all (or not a JSON object)."""
    probes: tuple[ProbeDef, ...] | None
    faults: tuple[FaultParams, ...] | None
    abort_rules: tuple[RuleDef, ...] | None
    schedule: tuple[tuple[str, str], ...] | None
    """(warmup | duration | cooldown | probe interval, as written); None: no schedule."""
    schedule_seconds: Mapping[str, float]
    """warmup / duration / cooldown in seconds, where recorded as a number of seconds."""
    rollback: tuple[RollbackInfo, ...]


def read_snapshot(raw: object) -> ScenarioSnapshot:
    """`SessionStarted.scenario` read back, typed; never raises."""
    snapshot: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    probes, faults, rules = _probe_defs(snapshot), _fault_params(snapshot), _abort_rules(snapshot)
    raw_schedule = snapshot.get("schedule")
    return ScenarioSnapshot(
        recorded=bool(snapshot),
        probes=None if probes is None else tuple(probes),
        faults=None if faults is None else tuple(faults),
        abort_rules=None if rules is None else tuple(rules),
        schedule=tuple(_schedule(snapshot)) if isinstance(raw_schedule, Mapping) else None,
        schedule_seconds=_schedule_seconds(_mapping(raw_schedule)),
        rollback=tuple(_rollback_steps(snapshot)),
    )


def _schedule_seconds(schedule: Mapping[str, Any]) -> dict[str, float]:
    found = {}
    for key in ("warmup", "duration", "cooldown"):
        seconds = _float(schedule.get(key))
        if seconds is not None and seconds >= 0:
            found[key] = seconds
    return found


_PROBE_KINDS = ("prometheus", "http", "command", "system")


@dataclass(frozen=True)
class ProbeDef:
    name: str
    kind: str
    query: str
    unit: str
    min: float | None
    max: float | None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list | tuple) else ()


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _probe_defs(snapshot: Mapping[str, Any]) -> list[ProbeDef] | None:
    """The probes of the snapshot, or None when the snapshot lists none at all."""
    raw = snapshot.get("probes")
    if raw is None:
        raw = _mapping(snapshot.get("steady_state")).get("probes")
    if not isinstance(raw, list | tuple):
        return None
    found = []
    for item in raw:
        entry = _mapping(item)
        name = str(entry.get("name", "")).strip()
        if name:
            found.append(_probe_def(name, entry))
    return found


def _probe_def(name: str, entry: Mapping[str, Any]) -> ProbeDef:
    kind = str(entry.get("kind") or next((k for k in _PROBE_KINDS if k in entry), ""))
    query = entry.get("query") or ""
    if not query and kind in entry:
        inner = entry[kind]
        query = _mapping(inner).get("url", "") if isinstance(inner, Mapping) else inner
    query = str(query or entry.get("url") or "")
    if kind == "command" and entry.get("host"):
        query = f"{query} (on {entry['host']})"
    if kind == "http" and entry.get("measure"):
        kind = f"http, {entry['measure']}"
    unit = str(entry.get("unit") or "")
    low, high = _float(entry.get("min")), _float(entry.get("max"))
    if high is None and "max_latency" in entry:
        high, unit = _latency_ms(entry["max_latency"]), unit or "ms"
    return ProbeDef(name, kind, redact(str(query)), unit, low, high)


def _latency_ms(value: Any) -> float | None:
    if isinstance(value, str):
        try:
            return parse_duration(value) * 1000
        except ValueError:
            return None
    seconds = _float(value)
    return None if seconds is None else seconds * 1000


def threshold_text(low: float | None, high: float | None, unit: str) -> str:
    """The bounds in the console's and the preview's words; "" when there are none."""
    if low is None and high is None:
        return ""
    return bounds_text(low, high, unit)


def _fault_params(snapshot: Mapping[str, Any]) -> list[FaultParams] | None:
    """(kind, [(parameter, value)]) per fault, or None when the snapshot has no `faults`."""
    raw = snapshot.get("faults")
    if not isinstance(raw, list | tuple):
        return None
    found = []
    for item in raw:
        entry = _mapping(item)
        kind = str(entry.get("kind", "")) or "(kind not recorded)"
        params = [
            (str(k), redact(_value_text(v)))
            for k, v in entry.items()
            if k not in ("kind", "line") and v not in (None, "", [], {})
        ]
        found.append(FaultParams(kind, tuple(params)))
    return found


def _value_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_value_text(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_value_text(v)}" for k, v in value.items())
    if isinstance(value, float):
        return number(value)
    return str(value)


def _rollback_steps(snapshot: Mapping[str, Any]) -> list[RollbackInfo]:
    """(name, command, host or "every target", required) per rollback step."""
    found = []
    for item in _list(snapshot.get("rollback")):
        step = _mapping(item)
        name = str(step.get("name") or "(unnamed)")
        command = redact(str(step.get("run") or ""))
        host = str(step.get("host") or "every target")
        found.append(RollbackInfo(name, command, host, step.get("required", True) is not False))
    return found


def _schedule(snapshot: Mapping[str, Any]) -> list[tuple[str, str]]:
    """warmup / duration / cooldown / interval, each as written (seconds become `30s`)."""
    raw = _mapping(snapshot.get("schedule"))
    found = []
    for key in ("warmup", "duration", "cooldown"):
        if key in raw:
            found.append((key, _duration_text(raw[key])))
    interval = _mapping(snapshot.get("steady_state")).get("interval", snapshot.get("interval"))
    if interval is not None:
        found.append(("probe interval", _duration_text(interval)))
    return found


def _duration_text(value: Any) -> str:
    seconds = _float(value)
    return format_duration(seconds) if seconds is not None and seconds >= 0 else str(value)


@dataclass(frozen=True)
class RuleDef:
    text: str
    """For people: `error_rate above 5 for 2 samples in a row`."""
    probe: str
    """"" for a no-data rule on any probe."""
    key: str
    """As the engine names the rule in AbortTriggered: `error_rate above 5 for 2`."""


def _abort_rules(snapshot: Mapping[str, Any]) -> list[RuleDef] | None:
    """The snapshot's abort rules, or None when it has no `abort_when`."""
    raw = snapshot.get("abort_when")
    if not isinstance(raw, list | tuple):
        return None
    units = {p.name: p.unit for p in _probe_defs(snapshot) or ()}
    return [_rule(_mapping(item), units) for item in raw]


def _rule(rule: Mapping[str, Any], units: Mapping[str, str]) -> RuleDef:
    probe = str(rule.get("probe") or "")
    times = rule.get("for", rule.get("for_samples", 1))
    count = times if isinstance(times, int) and not isinstance(times, bool) else 1
    if rule.get("no_data") is not None:
        key = f"no_data: {rule['no_data']}" + (f" ({probe})" if probe else "")
        polls = rule["no_data"] if isinstance(rule["no_data"], int) else 1
        text = rule_text(AbortRule(probe=probe or None, no_data=polls))
        return RuleDef(text, probe, key)
    above, below = _float(rule.get("above")), _float(rule.get("below"))
    if above is None and below is None:
        shown = ", ".join(f"{k}: {_value_text(v)}" for k, v in rule.items() if k != "line")
        return RuleDef(shown or "(an empty rule)", probe, "")
    bound = f"above {above:g}" if above is not None else f"below {below:g}"
    key = f"{probe} {bound} for {times}"
    parsed = AbortRule(probe=probe or None, above=above, below=below, for_samples=count)
    return RuleDef(rule_text(parsed, units.get(probe, "")), probe, key)
