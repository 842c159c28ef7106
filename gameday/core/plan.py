"""The plan of one experiment, pure: a scenario applied to an inventory.

`build_plan(scenario, inventory, seed)` chooses the targets (the blast radius, with every spared
host and its reason) and renders, for each target, the shell lines of each fault in the order
the engine sends them. `gameday preview` prints exactly this; the engine runs exactly this. Nothing
here connects to anything.

Order on one host (`HostPlan.steps`):
1. `capability` of every fault (preflight: nothing is injected anywhere if one fails);
2. for each fault in scenario order: `inject`, then `verify` (the fault is active);
3. for each fault in reverse order: `revert`, then `verify_reverted`;
4. the scenario's `rollback` steps that run on this host, in scenario order.
Arming the host-side timer and the lease are added by the engine around these steps.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from gameday.core.faults import FaultPlan, FaultSpec, HostContext
from gameday.core.formats.inventory import Host, Inventory
from gameday.core.formats.probes import Probe
from gameday.core.formats.scenario import RollbackStep, Scenario
from gameday.core.formats.stages import StageSize
from gameday.core.selection import Selection, select_targets
from gameday.errors import PlanError

Phase = Literal["capability", "inject", "verify", "revert", "verify_reverted", "rollback"]
PHASES: tuple[Phase, ...] = ("capability", "inject", "verify", "revert", "verify_reverted")
FAULT_ID_PATTERN = re.compile(r"[a-z0-9-]{1,32}")


@dataclass(frozen=True)
class Step:
    """One shell line sent to one host, labelled with why it is sent."""

    phase: Phase
    command: str
    kind: str
    """The fault kind, or `rollback`."""
    fault_id: str = ""
    """Empty for rollback steps."""
    name: str = ""
    """The fault's or rollback step's label from the scenario, if any."""


@dataclass(frozen=True)
class HostPlan:
    host: Host
    wave: int
    """1-based: hosts of wave 1 are injected first; at most `max_concurrent` per wave."""
    faults: tuple[FaultPlan, ...]
    """In scenario order."""
    rollback: tuple[RollbackStep, ...] = ()
    """The rollback steps that run on this host: those without `host` and those naming it."""
    labels: tuple[str, ...] = ()
    """Each fault's `name` from the scenario ("" when it has none), parallel to `faults`."""
    stage: int = 0
    """1-based stage of the ladder at which this host joins; 0 when there is no ladder."""

    def steps(self) -> tuple[Step, ...]:
        """Every line this host receives, in the order they are sent (see the module doc)."""
        steps: list[Step] = []
        named = list(zip(self.faults, self.labels or ("",) * len(self.faults), strict=True))
        for fault, label in named:
            steps += _steps("capability", fault.capability, fault, label)
        for fault, label in named:
            steps += _steps("inject", fault.inject, fault, label)
            steps += _steps("verify", fault.verify_active, fault, label)
        for fault, label in reversed(named):
            steps += _steps("revert", fault.revert, fault, label)
            steps += _steps("verify_reverted", fault.verify_reverted, fault, label)
        steps += [Step("rollback", r.run, "rollback", name=r.name) for r in self.rollback]
        return tuple(steps)

    def commands(self) -> tuple[str, ...]:
        return tuple(step.command for step in self.steps())


def _steps(phase: Phase, lines: tuple[str, ...], fault: FaultPlan, label: str) -> list[Step]:
    return [Step(phase, line, fault.kind, fault.fault_id, label) for line in lines]


@dataclass(frozen=True)
class Plan:
    scenario: Scenario
    inventory: Inventory
    selection: Selection
    hosts: Mapping[str, HostPlan] = field(default_factory=lambda: MappingProxyType({}))
    """One entry per target, in selection order."""
    rollback_elsewhere: tuple[RollbackStep, ...] = ()
    """Rollback steps naming a host that is not a target (e.g. a load balancer)."""

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(self.hosts)

    @property
    def host_plans(self) -> Mapping[str, tuple[FaultPlan, ...]]:
        """Target name → its FaultPlans, in scenario order."""
        return MappingProxyType({name: host.faults for name, host in self.hosts.items()})

    @property
    def spared(self) -> Mapping[str, str]:
        return self.selection.spared

    @property
    def waves(self) -> tuple[tuple[str, ...], ...]:
        return tuple(tuple(wave) for wave in self.selection.waves)

    @property
    def seed(self) -> int:
        return int(self.selection.seed_used)

    def commands(self) -> dict[str, list[str]]:
        """Target name → every line it receives, in order."""
        return {name: list(host.commands()) for name, host in self.hosts.items()}

    def to_json(self) -> dict[str, Any]:
        """The plan as one JSON-ready document (what `gameday preview --json` prints)."""
        s = self.scenario
        return {
            "scenario": s.id,
            "title": s.title,
            "hypothesis": s.hypothesis,
            "file": s.file,
            "sha256": s.sha256,
            "inventory": self.inventory.file,
            "seed": self.seed,
            "targets": list(self.targets),
            "waves": [list(wave) for wave in self.waves],
            "stages": ladder_json(self.selection, s.targets.stages),
            "spared": dict(self.spared),
            "commands": self.commands(),
            "steps": {
                name: [_step_json(step) for step in host.steps()]
                for name, host in self.hosts.items()
            },
            "faults": [
                {"index": i, "kind": f.kind, "name": fault_label(f), "line": f.line}
                for i, f in enumerate(s.faults)
            ],
            "schedule": {
                "warmup": s.schedule.warmup,
                "duration": s.schedule.duration,
                "cooldown": s.schedule.cooldown,
            },
            "steady_state": {
                "interval": s.steady_state.interval,
                "probes": [_probe_json(p) for p in s.steady_state.probes],
            },
            "abort_when": [
                {
                    "probe": r.probe,
                    "above": r.above,
                    "below": r.below,
                    "for": r.for_samples,
                    "no_data": r.no_data,
                }
                for r in s.abort_when
            ],
            "rollback": [
                {
                    "name": r.name,
                    "run": r.run,
                    "host": r.host,
                    "required": r.required,
                    "timeout": r.timeout,
                }
                for r in s.rollback
            ],
        }


def ladder_json(selection: Selection, sizes: tuple[StageSize, ...]) -> list[dict[str, Any]]:
    """Each stage of the ladder: its size as written, its hosts, who joins, its waves."""
    return [
        {
            "stage": number,
            "size": size.text,
            "hosts": list(hosts),
            "joining": list(selection.joining(number)),
            "waves": [list(wave) for wave in selection.stage_waves(number)],
        }
        for number, (size, hosts) in enumerate(zip(sizes, selection.stages, strict=True), start=1)
    ]


def _step_json(step: Step) -> dict[str, str]:
    return {
        "phase": step.phase,
        "kind": step.kind,
        "fault_id": step.fault_id,
        "name": step.name,
        "command": step.command,
    }


def _probe_json(probe: Probe) -> dict[str, Any]:
    data: dict[str, Any] = {"name": probe.name, "kind": probe.kind}
    if probe.kind == "http":
        data.update(
            url=probe.url,
            measure=probe.measure,
            timeout=probe.timeout,
            requests=probe.requests,
            expect_status=list(probe.expect_status),
        )
    else:
        data["query"] = probe.query
    if probe.kind == "command":
        data.update(host=probe.host, timeout=probe.timeout)
    data.update(min=probe.min, max=probe.max, unit=probe.unit)
    return data


def fault_label(fault: FaultSpec) -> str:
    """The optional `name:` a scenario gives a fault ("" when none)."""
    label = getattr(fault, "name", None)
    return label if isinstance(label, str) else ""


def fault_id(scenario_id: str, index: int, host: str) -> str:
    """A short id, the same for the same scenario, fault position and host: `f<index>-<hash>`.

    Short because it ends up in names with tight limits on the host (iptables chains: 28
    characters); stable so that a rerun of a scenario finds the traces of an earlier one.
    """
    digest = hashlib.sha256(f"{scenario_id}\0{index}\0{host}".encode()).hexdigest()
    return f"f{index}-{digest[:10]}"


def build_plan(scenario: Scenario, inventory: Inventory, seed: int | None = None) -> Plan:
    """Choose the targets and render every fault for each of them.

    `seed` overrides `targets.seed`; with neither, the selection draws one and reports it
    (`Plan.seed`) so the same pick can be made again. Raises `PlanError` when the scenario and
    the inventory do not fit together: zero targets, an excluded, probed or rollback host that
    the inventory does not have, or a rollback step on a protected host.
    """
    _check_names(scenario, inventory)
    selection = select_targets(inventory, scenario.targets, seed=seed)
    targets = list(selection.targets)
    if not targets:
        raise PlanError(f"{scenario.file}: no host of {inventory.file} is a target")
    wrongly = set(inventory.protected) & set(targets)
    if wrongly:  # the selection's promise, checked again where it matters
        raise PlanError(f"protected hosts were selected: {', '.join(sorted(wrongly))}")
    wave_of = {
        host: number for number, wave in enumerate(selection.waves, start=1) for host in wave
    }
    hosts: dict[str, HostPlan] = {}
    for name in targets:
        host = inventory.hosts[name]
        ctx = HostContext(name=name, ssh_port=host.port, sudo=host.sudo)
        faults = tuple(
            fault.plan(ctx, fault_id(scenario.id, index, name), scenario.schedule.duration)
            for index, fault in enumerate(scenario.faults)
        )
        hosts[name] = HostPlan(
            host=host,
            wave=wave_of.get(name, 1),
            faults=faults,
            rollback=tuple(r for r in scenario.rollback if r.host in (None, name)),
            labels=tuple(fault_label(f) for f in scenario.faults),
            stage=selection.stage_of(name) or 0,
        )
    elsewhere = tuple(r for r in scenario.rollback if r.host is not None and r.host not in hosts)
    return Plan(
        scenario=scenario,
        inventory=inventory,
        selection=selection,
        hosts=MappingProxyType(hosts),
        rollback_elsewhere=elsewhere,
    )


def _check_names(scenario: Scenario, inventory: Inventory) -> None:
    """Host names in the scenario that the inventory must have.

    An unknown name in `exclude` is refused, not ignored: a typo there would put at risk the
    very host the author meant to spare.
    """
    known = inventory.hosts
    where = scenario.file
    for name in scenario.targets.exclude:
        if name not in known:
            raise PlanError(
                f"{where}:{scenario.targets.line}: targets.exclude: {name!r} is not a host of "
                f"{inventory.file}; a misspelt exclusion would spare nothing"
            )
    for i, probe in enumerate(scenario.steady_state.probes):
        if probe.kind == "command" and probe.host not in known:
            raise PlanError(
                f"{where}:{probe.line}: steady_state.probes[{i}].host: {probe.host!r} is not a "
                f"host of {inventory.file}"
            )
    for i, step in enumerate(scenario.rollback):
        if step.host is None:
            continue
        if step.host not in known:
            raise PlanError(
                f"{where}:{step.line}: rollback[{i}].host: {step.host!r} is not a host of "
                f"{inventory.file}"
            )
        if step.host in inventory.protected:
            raise PlanError(
                f"{where}:{step.line}: rollback[{i}].host: {step.host!r} is protected by "
                f"{inventory.file}; gameday runs nothing on a protected host"
            )
