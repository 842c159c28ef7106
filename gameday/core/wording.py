"""The words gameday uses for its facts, in one place: bounds, abort rules, fault states,
outcomes, the steady state, verdicts and times.

The preview, the headless timeline, the console and the findings document all word a rule, a
bound or a fault's state through these functions, so the same fact reads the same everywhere:
units on every number (`5%`, `300 ms`), the fault kind before its id, times in UTC as the
findings say them (`21:09:07 UTC`), each fact said once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # types only: the console's first frame does not load the formats
    from gameday.core.formats.probes import Probe
    from gameday.core.formats.scenario import AbortRule

SteadyWord = Literal["HOLDING", "BREACHED", "NO DATA", "WAITING"]

FAULT_STATUS_WORDS: Mapping[str, str] = {
    "planned": "planned",
    "not_run": "not run",
    "armed": "armed",
    "injected": "injected",
    "failed": "failed",
    "reverted": "reverted",
    "unconfirmed": "UNCONFIRMED",
    "lost": "LOST",
}
"""How a fault's state is shown (the console's hosts table, the findings)."""

REVERTED_BY: Mapping[str, str] = {
    "console": "the console",
    "kill_switch": "the kill switch",
    "host_timer": "the host's own timer",
    "lease": "the host (lease lost)",
    "recover": "gameday recover",
    "sweep": "gameday sweep",
}

OUTCOMES: Mapping[str, str] = {
    "clean": "clean",
    "unconfirmed": "UNCONFIRMED",
    "unreachable": "UNREACHABLE",
}
"""A host's outcome after the kill switch or a revert: clean is the only good one."""

VERDICTS: Mapping[str, str] = {
    "held": "HELD",
    "deviated": "DEVIATED",
    "aborted": "ABORTED",
    "revert_unconfirmed": "REVERT UNCONFIRMED",
}


def quantity(value: float | None, unit: str = "") -> str:
    """A value with its unit (`457 req/s`, `6.2%`), or `no data`."""
    if value is None:
        return "no data"
    return number(value, unit)


def bounds_text(low: float | None, high: float | None, unit: str = "") -> str:
    """A probe's bounds as a facilitator reads them: `≤ 300 ms`, `≥ 99.5%`,
    `between 1 and 5 s`, or `no threshold`."""
    if low is not None and high is not None:
        return f"between {number(low)} and {number(high, unit)}"
    if high is not None:
        return f"≤ {number(high, unit)}"
    if low is not None:
        return f"≥ {number(low, unit)}"
    return "no threshold"


def probe_bounds(probe: Probe) -> str:
    return bounds_text(probe.min, probe.max, probe.unit)


def rule_text(rule: AbortRule, unit: str = "") -> str:
    """An abort rule, with the unit of its probe:
    `error_rate above 5% for 2 samples in a row`, `any probe has no data for 3 polls in a row`."""
    if rule.no_data is not None:
        who = rule.probe or "any probe"
        if rule.no_data <= 1:
            return f"{who} has no data (at the first such poll)"
        return f"{who} has no data for {rule.no_data} polls in a row"
    limits = []
    if rule.above is not None:
        limits.append(f"above {number(rule.above, unit)}")
    if rule.below is not None:
        limits.append(f"below {number(rule.below, unit)}")
    subject = f"{rule.probe or 'a probe'} {' or '.join(limits)}"
    if rule.for_samples <= 1:
        return f"{subject} (at the first such sample)"
    return f"{subject} for {rule.for_samples} samples in a row"


def rule_texts(rules: tuple[AbortRule, ...], probes: tuple[Probe, ...]) -> list[str]:
    """Every abort rule of a scenario, worded with its probe's unit."""
    units = {p.name: p.unit for p in probes}
    return [rule_text(rule, units.get(rule.probe or "", "")) for rule in rules]


def seen_values(values: tuple[float, ...], unit: str = "") -> str:
    """What made a rule fire: `seen 6.2%, 7.9%`."""
    return "seen " + ", ".join(number(v, unit) for v in values)


def steady_word(latest: Mapping[str, bool | None]) -> SteadyWord:
    """The steady state from each probe's latest sample (True within, False out, None no data):
    BREACHED beats NO DATA beats HOLDING; WAITING before the first sample."""
    if not latest:
        return "WAITING"
    values = list(latest.values())
    if any(v is False for v in values):
        return "BREACHED"
    if any(v is None for v in values):
        return "NO DATA"
    return "HOLDING"


def probe_state_word(ok: bool | None, *, sampled: bool = True, over: bool = False) -> str:
    """One probe's state in words, next to its colour (`over`: the session has ended, so a
    probe never sampled waits for nothing; the findings say no samples were recorded)."""
    if not sampled:
        return "no samples" if over else "waiting"
    return {True: "ok", False: "BREACHED", None: "NO DATA"}[ok]


def host_timer_text(deadline: float) -> str:
    """The host-side timer, as the findings say it."""
    return f"the host reverts it by itself at {utc_time(deadline)} UTC"


def lost_text(reverted_by: float) -> str:
    """A fault on a host the console lost: what became of it, as far as anyone knows."""
    return f"host lost: its own lease reverted it at ≈{utc_time(reverted_by)} UTC; not confirmed"


def reverted_by_text(by: str) -> str:
    return REVERTED_BY.get(by, by.replace("_", " "))


def fault_name(kind: str, fault_id: str) -> str:
    """The kind first (what a person knows), the id after (what the journal keys on)."""
    if not kind or kind == fault_id:
        return fault_id
    return f"{kind} ({fault_id})"


def outcome_text(outcome: str) -> str:
    return OUTCOMES.get(outcome, outcome.upper())


def outcomes_text(hosts: Mapping[str, str]) -> str:
    """`web-1: clean, web-3: UNCONFIRMED`, or that nothing was active."""
    if not hosts:
        return "nothing was active on any host"
    return ", ".join(f"{h}: {outcome_text(o)}" for h, o in sorted(hosts.items()))


def verdict_word(verdict: str) -> str:
    return VERDICTS.get(verdict, verdict.replace("_", " ").upper())


def time_left_text(seconds: float) -> str:
    """`01:05 left` (whole seconds, rounded up: 0.2 s left is still 00:01)."""
    whole = int(seconds + 0.999)
    minutes, secs = divmod(max(0, whole), 60)
    return f"{minutes:02}:{secs:02} left"


def joined_text(name: str, role: str) -> str:
    """`alice joined as observer`; a facilitator named after their role just joins."""
    if not role or role == name:
        return f"{name} joined"
    return f"{name} joined as {role}"


# --- times -------------------------------------------------------------------------------


def _utc(ts: float, fmt: str) -> str:
    try:
        return datetime.fromtimestamp(ts, UTC).strftime(fmt)
    except (ValueError, OverflowError, OSError):
        return "(invalid time)"  # a hand-edited journal; say so rather than fail


def utc_iso(ts: float) -> str:
    """`2026-11-27T09:00:05Z` (whole seconds; the journal keeps the fractions)."""
    return _utc(ts, "%Y-%m-%dT%H:%M:%SZ")


def utc_time(ts: float) -> str:
    return _utc(ts, "%H:%M:%S")


def utc_date(ts: float) -> str:
    return _utc(ts, "%Y-%m-%d")


def offset(seconds: float) -> str:
    """`T+mm:ss` from the session's start; minutes grow past 59 (`T+75:02`)."""
    if not math.isfinite(seconds):
        return "T+??:??"
    sign = "-" if seconds < 0 else "+"
    whole = round(abs(seconds))
    return f"T{sign}{whole // 60:02d}:{whole % 60:02d}"


def seconds_text(seconds: float) -> str:
    """A duration for people: `34 ms`, `1.2 s`, `45 s`, `3 min 05 s`, `1 h 02 min`."""
    if not math.isfinite(seconds):
        return "—"
    if seconds < 0:
        return f"-{seconds_text(-seconds)}"
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {(whole % 3600) // 60:02d} min"


def count(n: int, one: str, many: str = "") -> str:
    """`1 host`, `2 hosts`; `many` for irregular plurals (`breaches`)."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


# --- numbers -----------------------------------------------------------------------------


def number(value: float | None, unit: str = "") -> str:
    """A value as people read it: at most 4 significant digits, no exponent, unit appended."""
    if value is None or not math.isfinite(value):
        return "—"
    tiny_or_huge = value != 0 and not 1e-6 <= abs(value) < 1e15
    text = f"{value:.4g}" if tiny_or_huge else plain_number(value)
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def plain_number(value: float) -> str:
    """Decimal without exponent (Mermaid's grammar has none): 0.0012, 1234.5, 1200000."""
    if not math.isfinite(value):
        return "0"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, 3 - magnitude)
    text = f"{value:.{min(decimals, 12)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# --- a host's lease (bounds in gameday.core.session.lease) -----------------------------------

CONFIRMED_BY_LEASE = "confirmed clean (reverted by the host's lease)"
"""A lost host found clean once reached again: its own lease had reverted it."""


def lost_sentence(host: str, silent_for: float, reverted_by: float) -> str:
    """`cart-2: no answer for 4 s — its own lease reverted it at ≈21:12:25; not confirmed`."""
    return (
        f"{host}: no answer for {silent_for:.0f} s — its own lease reverted it at "
        f"≈{utc_time(reverted_by)} UTC; not confirmed"
    )


def unreachable_detail(reverted_by: float) -> str:
    """Why the revert of a host that did not answer is unconfirmed (a fault_reverted detail):
    `unconfirmed: host unreachable, its lease reverts it by 21:12:25` (UTC)."""
    return f"unconfirmed: host unreachable, its lease reverts it by {utc_time(reverted_by)} UTC"


def recover_advice(journal: str) -> str:
    """The last line of a session that left hosts unconfirmed."""
    return f"next: when the host is reachable again, confirm with: gameday recover {journal}"
