"""The blast radius: which hosts a scenario touches, and why every other host is spared.

`select_targets(inventory, spec, seed)` is a pure function (apart from drawing a seed when
none is given, which it then reports). The rules, applied in this order, each spare a host
with a reason a person can read:

1. protected by the inventory (never a target, even when the scenario names it);
2. not among the scenario's `hosts` (when it names any);
3. not in any of the scenario's `groups` (when it names any);
4. a tag that does not match (`tag role is db, wanted web`);
5. excluded by the scenario;
6. cut by `percentage` / `count`: a seeded random pick among the sorted remaining names.

`max_concurrent` spares nobody: it splits the targets into waves of at most that many hosts.

With `stages` (the blast-radius ladder) the seed orders the candidates once and stage *k* takes
the first hosts of that order, so every stage contains the one before; the targets are the last
stage's hosts, and a candidate beyond it is spared as cut by the stages. Each stage is split
into waves of `max_concurrent` when the engine runs it (`Selection.stage_waves`).
"""

from __future__ import annotations

import difflib
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType

from gameday.core.formats.inventory import Host, Inventory
from gameday.core.formats.scenario import TargetSpec
from gameday.core.formats.stages import stage_sizes
from gameday.errors import PlanError

PROTECTED = "protected"
NOT_NAMED = "hosts"
NOT_IN_GROUP = "groups"
TAG_MISMATCH = "tags"
EXCLUDED = "excluded"
CUT = "cut"
RULE_ORDER = (PROTECTED, NOT_NAMED, NOT_IN_GROUP, TAG_MISMATCH, EXCLUDED, CUT)
"""Short codes of the rules, in the order they apply (see `Selection.rules`)."""

_RULE_SUMMARY = {
    PROTECTED: "protected by the inventory",
    NOT_NAMED: "not named in targets.select.hosts",
    NOT_IN_GROUP: "not in the selected groups",
    TAG_MISMATCH: "tags do not match",
    EXCLUDED: "excluded by the scenario",
    CUT: "cut by percentage/count",
}
SEED_LIMIT = 2**31
"""Drawn seeds are below this, so they survive JSON and every shell unchanged."""


@dataclass(frozen=True)
class Selection:
    """The outcome of the blast-radius rules: targets and spared hosts partition the inventory."""

    targets: tuple[str, ...]
    """Chosen hosts, in inventory order."""
    spared: Mapping[str, str]
    """Every other host → why it was spared, in inventory order."""
    seed_used: int
    """The seed of the random pick; giving it again gives the same selection."""
    waves: tuple[tuple[str, ...], ...]
    """The targets split into consecutive batches of at most `max_concurrent` hosts."""
    rules: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Spared host → the code of the rule that spared it (one of `RULE_ORDER`)."""
    stages: tuple[tuple[str, ...], ...] = ()
    """The ladder: each stage's hosts (cumulative, in inventory order); empty without one."""
    max_concurrent: int | None = None

    def wave_of(self, host: str) -> int | None:
        """1-based wave number of a target, None for a spared host."""
        for number, wave in enumerate(self.waves, start=1):
            if host in wave:
                return number
        return None

    def stage_of(self, host: str) -> int | None:
        """1-based stage at which a target joins the ladder; None for a spared host or when
        there is no ladder."""
        for number, stage in enumerate(self.stages, start=1):
            if host in stage:
                return number
        return None

    def joining(self, stage: int) -> tuple[str, ...]:
        """The hosts that stage `stage` (1-based) adds to the one before."""
        before = set(self.stages[stage - 2]) if stage > 1 else set()
        return tuple(h for h in self.stages[stage - 1] if h not in before)

    def stage_waves(self, stage: int) -> tuple[tuple[str, ...], ...]:
        """Stage `stage`'s hosts (1-based) split into waves of at most `max_concurrent`."""
        return split_waves(self.stages[stage - 1], self.max_concurrent)


def split_waves(hosts: Sequence[str], size: int | None) -> tuple[tuple[str, ...], ...]:
    """Consecutive batches of at most `size` hosts (one batch when `size` is None)."""
    step = size or max(len(hosts), 1)
    return tuple(tuple(hosts[i : i + step]) for i in range(0, len(hosts), step))


def select_targets(inventory: Inventory, spec: TargetSpec, seed: int | None = None) -> Selection:
    """Choose the targets of a scenario in an inventory.

    `seed` (e.g. from `--seed`) wins over `spec.seed`; when both are None a seed is drawn and
    reported in `seed_used`. Raises `PlanError` when the spec names a host or group the
    inventory does not have (typo protection), when its numbers are out of range, and when no
    host is left as a target (the message says why the hosts were spared).
    """
    _check_spec(inventory, spec)
    if seed is None:
        seed = spec.seed
    if seed is None:
        seed = random.SystemRandom().randrange(SEED_LIMIT)
    spared: dict[str, str] = {}
    rules: dict[str, str] = {}
    candidates: list[str] = []
    filters = _Rules.of(inventory, spec)
    for name, host in inventory.hosts.items():
        verdict = filters.spare(name, host)
        if verdict is None:
            candidates.append(name)
        else:
            rules[name], spared[name] = verdict
    if not candidates:
        raise PlanError(_nothing_left(inventory, rules, spared))
    stages: tuple[tuple[str, ...], ...] = ()
    if spec.stages:
        stages = _ladder(candidates, spec, seed, rules, spared)
        picked = set(stages[-1])
    else:
        picked = _pick(candidates, spec, seed, rules, spared)
    targets = tuple(name for name in candidates if name in picked)
    order = list(inventory.hosts)
    return Selection(
        targets=targets,
        spared=MappingProxyType({n: spared[n] for n in order if n in spared}),
        seed_used=seed,
        waves=split_waves(targets, spec.max_concurrent),
        rules=MappingProxyType({n: rules[n] for n in order if n in rules}),
        stages=stages,
        max_concurrent=spec.max_concurrent,
    )


def _pick(
    candidates: list[str],
    spec: TargetSpec,
    seed: int,
    rules: dict[str, str],
    spared: dict[str, str],
) -> set[str]:
    """The `percentage` / `count` cut; the hosts it leaves out are recorded as spared."""
    keep = _keep_count(len(candidates), spec)
    picked = set(candidates)
    if keep < len(candidates):
        picked = set(random.Random(seed).sample(sorted(candidates), keep))
        reason = _cut_reason(spec, keep, len(candidates), seed)
        for name in candidates:
            if name not in picked:
                rules[name], spared[name] = CUT, reason
    return picked


def _ladder(
    candidates: list[str],
    spec: TargetSpec,
    seed: int,
    rules: dict[str, str],
    spared: dict[str, str],
) -> tuple[tuple[str, ...], ...]:
    """Each stage's hosts: the first hosts of one seeded order, so every stage holds the last.

    Candidates beyond the last stage are recorded as spared."""
    sizes = stage_sizes(spec.stages, len(candidates), spec.file)
    order = random.Random(seed).sample(sorted(candidates), len(candidates))
    position = {name: i for i, name in enumerate(order)}
    stages = tuple(tuple(name for name in candidates if position[name] < size) for size in sizes)
    last = spec.stages[-1].text
    reason = (
        f"cut by stages: the last stage ({last}) takes {sizes[-1]} of {len(candidates)} "
        f"candidates (seed {seed})"
    )
    for name in candidates:
        if position[name] >= sizes[-1]:
            rules[name], spared[name] = CUT, reason
    return stages


def _check_spec(inventory: Inventory, spec: TargetSpec) -> None:
    _known(spec.hosts, inventory.hosts, "targets.select.hosts", "host", inventory.file)
    _known(spec.exclude, inventory.hosts, "targets.exclude", "host", inventory.file)
    _known(spec.groups, inventory.groups, "targets.select.groups", "group", inventory.file)
    pct = spec.percentage
    if pct is not None and not (math.isfinite(pct) and 0 < pct <= 100):
        raise PlanError(f"targets.percentage: {pct} is not between 0 (excluded) and 100")
    if spec.count is not None and spec.count < 1:
        raise PlanError(f"targets.count: {spec.count} must be at least 1")
    if spec.max_concurrent is not None and spec.max_concurrent < 1:
        raise PlanError(f"targets.max_concurrent: {spec.max_concurrent} must be at least 1")


def _known(
    names: Sequence[str], known: Mapping[str, object], where: str, what: str, file: str
) -> None:
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise PlanError(f"{where}: no {what} named {name!r} in the inventory {file}{hint}")


@dataclass(frozen=True)
class _Rules:
    """The spec's name conditions as sets, so a large fleet is filtered in linear time."""

    protected: frozenset[str]
    named: frozenset[str] | None
    in_groups: frozenset[str] | None
    groups: tuple[str, ...]
    tags: Mapping[str, str]
    excluded: frozenset[str]

    @classmethod
    def of(cls, inventory: Inventory, spec: TargetSpec) -> _Rules:
        grouped = {h for g in spec.groups for h in inventory.groups[g]}
        return cls(
            protected=frozenset(inventory.protected),
            named=frozenset(spec.hosts) if spec.hosts else None,
            in_groups=frozenset(grouped) if spec.groups else None,
            groups=tuple(spec.groups),
            tags=spec.tags,
            excluded=frozenset(spec.exclude),
        )

    def spare(self, name: str, host: Host) -> tuple[str, str] | None:
        """The (rule, reason) that spares this host before the random cut, or None."""
        if name in self.protected:
            return PROTECTED, "protected by the inventory"
        if self.named is not None and name not in self.named:
            return NOT_NAMED, "not named in targets.select.hosts"
        if self.in_groups is not None and name not in self.in_groups:
            if len(self.groups) == 1:
                return NOT_IN_GROUP, f"not in group {self.groups[0]}"
            return NOT_IN_GROUP, f"not in any of the groups {', '.join(self.groups)}"
        for key, wanted in self.tags.items():
            actual = host.tags.get(key)
            if actual is None:
                return TAG_MISMATCH, f"has no tag {key}, wanted {wanted}"
            if tag_value(actual) != tag_value(wanted):
                return TAG_MISMATCH, f"tag {key} is {actual}, wanted {wanted}"
        if name in self.excluded:
            return EXCLUDED, "excluded by the scenario"
        return None


_BOOLEAN_WORDS = {
    "true": "true",
    "yes": "true",
    "on": "true",
    "false": "false",
    "no": "false",
    "off": "false",
}


def tag_value(text: str) -> str:
    """How a tag value compares: exactly as written, except that the YAML/Ansible spellings
    of a boolean (yes/no, on/off, true/false, any case) compare equal to each other."""
    return _BOOLEAN_WORDS.get(text.strip().lower(), text)


def keep_count(candidates: int, percentage: float | None, count: int | None) -> int:
    """How many of `candidates` hosts stay targets.

    A percentage rounds up and keeps at least one host (34% of 3 is 2, 10% of 3 is 1): a
    scenario that names a percentage wants some host hit. It is computed on the decimal value
    as written, so 10% of 30 is exactly 3. With both a percentage and a count, the smaller wins.
    """
    keep = candidates
    if percentage is not None:
        exact = Fraction(repr(float(percentage))) * candidates / 100
        keep = min(keep, max(1, math.ceil(exact)))
    if count is not None:
        keep = min(keep, count)
    return keep


def _keep_count(candidates: int, spec: TargetSpec) -> int:
    return keep_count(candidates, spec.percentage, spec.count)


def _cut_reason(spec: TargetSpec, keep: int, candidates: int, seed: int) -> str:
    limits = []
    if spec.percentage is not None:
        limits.append(f"percentage {_number(spec.percentage)}%")
    if spec.count is not None:
        limits.append(f"count {spec.count}")
    return f"cut by {' and '.join(limits)}: {keep} of {candidates} candidates picked (seed {seed})"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _nothing_left(
    inventory: Inventory, rules: Mapping[str, str], reasons: Mapping[str, str]
) -> str:
    if not inventory.hosts:
        return f"no host is a target: the inventory {inventory.file} has no hosts"
    parts = []
    for rule in RULE_ORDER:
        names = [n for n, r in rules.items() if r == rule]
        if names:
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            if rule == TAG_MISMATCH:  # the tags differ per host: show the first one's
                first = f"{names[0]}: {reasons[names[0]]}"
                shown = first + (f"; {shown.split(', ', 1)[1]}" if len(names) > 1 else "")
            parts.append(f"{len(names)} {_RULE_SUMMARY[rule]} ({shown})")
    return "no host is a target: " + "; ".join(parts)
