"""Steady-state rules, pure: is a probe's value within its bounds, and when does an abort fire.

`evaluate(probe, value)` compares one sample with the probe's `min`/`max` (inclusive).
`AbortTracker` is fed one poll at a time (every probe's value, `None` for no data) and says
when one of the scenario's `abort_when` rules fires, with a sentence a person can read.

Counting, precisely:
- `above`/`below` rules count *consecutive breaching samples* of their probe. A sample with a
  value that does not breach resets the count. A poll where the probe has no data neither counts
  nor resets: a gap is not evidence that things recovered (the `no_data` rule watches gaps).
- `no_data` rules count *consecutive polls without a value*, per probe; any sample with a value
  resets that probe's count. With no `probe`, the rule watches every probe and fires when any one
  of them reaches the count.
- A rule fires at the poll where its count reaches its threshold; its count then starts again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from gameday.core.formats.probes import Probe
from gameday.core.formats.scenario import AbortRule
from gameday.core.wording import probe_bounds, seen_values


def evaluate(probe: Probe, value: float | None) -> bool | None:
    """True when `value` is within the probe's bounds (inclusive), None when there is no value.

    NaN counts as no value (None). An infinity is outside any bound on its side; a probe without
    bounds holds for every value.
    """
    if value is None:
        return None
    if math.isnan(value):
        return None
    if probe.min is not None and not value >= probe.min:
        return False
    return not (probe.max is not None and not value <= probe.max)


def describe_bounds(probe: Probe) -> str:
    """The probe's bounds as a facilitator reads them (`gameday.core.wording.probe_bounds`)."""
    return probe_bounds(probe)


def abort_reason(firing: AbortFiring, unit: str = "") -> str:
    """What made a rule fire, without repeating the rule: `seen 6.2%, 7.9%`, or why there was
    no data."""
    if firing.values:
        return seen_values(firing.values, unit)
    return f"no data from {firing.probe}" + (f": {firing.detail}" if firing.detail else "")


def breaches(rule: AbortRule, value: float) -> bool:
    """Whether one value breaches an `above`/`below` rule (strictly beyond the limit)."""
    if rule.above is not None and value > rule.above:
        return True
    return rule.below is not None and value < rule.below


@dataclass(frozen=True)
class AbortFiring:
    """One abort rule that fired, and why."""

    rule: AbortRule
    reason: str
    """e.g. `error_rate above 5 for 2 samples in a row (6.2, 7.9)`."""
    values: tuple[float, ...] = ()
    """The breaching values that made it fire (empty for a no-data rule)."""
    detail: str = ""
    """Why the last poll had no data (no-data rules)."""
    probe: str = ""
    """The probe without data (no-data rules; a rule without `probe` watches them all)."""


@dataclass
class _Streak:
    count: int = 0
    values: list[float] = field(default_factory=list)


class AbortTracker:
    """Counts breaches and gaps poll by poll; `observe` returns the first rule that fires.

    Not thread-safe: the engine feeds it from its single monitoring loop.
    """

    def __init__(self, rules: Iterable[AbortRule]) -> None:
        self._rules = tuple(rules)
        self._breach: dict[int, _Streak] = {i: _Streak() for i in range(len(self._rules))}
        self._gaps: dict[tuple[int, str], int] = {}

    @property
    def rules(self) -> tuple[AbortRule, ...]:
        return self._rules

    def observe(
        self,
        values: Mapping[str, float | None],
        details: Mapping[str, str] | None = None,
    ) -> AbortFiring | None:
        """Feed one poll: each sampled probe's value (None = no data) and optional details.

        Probes absent from `values` were not sampled this poll and change nothing. Returns the
        first rule (in scenario order) that fires at this poll, or None. Every rule's count is
        updated even when an earlier one fires, so the counts stay true to the data.
        """
        fired: AbortFiring | None = None
        for index, rule in enumerate(self._rules):
            if rule.no_data is not None:
                firing = self._observe_gaps(index, rule, values, details or {})
            else:
                firing = self._observe_breach(index, rule, values)
            if fired is None:
                fired = firing
        return fired

    def reset(self) -> None:
        """Forget every count (e.g. between the baseline and the monitoring phase)."""
        self._breach = {i: _Streak() for i in range(len(self._rules))}
        self._gaps.clear()

    def _observe_breach(
        self, index: int, rule: AbortRule, values: Mapping[str, float | None]
    ) -> AbortFiring | None:
        if rule.probe is None or rule.probe not in values:
            return None
        value = values[rule.probe]
        if value is None or math.isnan(value):
            return None  # a gap neither counts nor resets; see the module docstring
        streak = self._breach[index]
        if not breaches(rule, value):
            streak.count, streak.values = 0, []
            return None
        streak.count += 1
        streak.values.append(value)
        needed = max(1, rule.for_samples)
        if streak.count < needed:
            return None
        seen = tuple(streak.values[-needed:])
        reason = _breach_reason(rule, needed, list(seen))
        streak.count, streak.values = 0, []
        return AbortFiring(rule, reason, values=seen)

    def _observe_gaps(
        self,
        index: int,
        rule: AbortRule,
        values: Mapping[str, float | None],
        details: Mapping[str, str],
    ) -> AbortFiring | None:
        needed = max(1, rule.no_data or 1)
        watched = [rule.probe] if rule.probe is not None else list(values)
        fired: AbortFiring | None = None
        for probe in watched:
            if probe not in values:
                continue
            key = (index, probe)
            value = values[probe]
            if value is not None and not math.isnan(value):
                self._gaps[key] = 0
                continue
            count = self._gaps.get(key, 0) + 1
            self._gaps[key] = count
            if count < needed:
                continue
            self._gaps[key] = 0
            if fired is None:
                why = details.get(probe, "")
                polls = "1 poll" if needed == 1 else f"{needed} polls in a row"
                reason = f"no data from {probe} for {polls}" + (f" ({why})" if why else "")
                fired = AbortFiring(rule, reason, detail=why, probe=probe)
        return fired


def _breach_reason(rule: AbortRule, needed: int, values: list[float]) -> str:
    limits = []
    if rule.above is not None:
        limits.append(f"above {_num(rule.above)}")
    if rule.below is not None:
        limits.append(f"below {_num(rule.below)}")
    shown = ", ".join(_num(v) for v in values)
    span = "" if needed == 1 else f" for {needed} samples in a row"
    return f"{rule.probe} {' or '.join(limits)}{span} ({shown})"


def _num(value: float) -> str:
    """A number as a person writes it: 5, 6.2, 0.001, 1.5e+09."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"
