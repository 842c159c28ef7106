"""`gameday preview SCENARIO -i INVENTORY [--seed N] [--json]`: the plan, contacting nothing.

Shows the blast radius (targets by wave, every spared host with its reason) and every shell line
each target would receive, in order. `--json` prints the same plan as one JSON document. Bad
input exits 2 with located lines; a plan that cannot be made (zero targets…) exits 2 with why.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from gameday.core.formats.probes import Probe
from gameday.core.steady import describe_bounds
from gameday.core.units import format_duration
from gameday.core.wording import rule_texts
from gameday.errors import InputError, InputErrors
from gameday.exit_codes import ExitCode

if TYPE_CHECKING:
    from gameday.core.plan import Plan

T = TypeVar("T")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "preview",
        help="show the blast radius and every command a scenario would run (contacts nothing)",
        description=(
            "Show what a scenario would do to an inventory: the targets (by wave), every spared "
            "host with its reason, and each command every target would receive, in order. "
            "Nothing is contacted. Exit status: 0 when a plan was made, 2 on bad input or when "
            "no host is a target."
        ),
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario file")
    parser.add_argument(
        "-i", "--inventory", required=True, metavar="INVENTORY", help="inventory file"
    )
    parser.add_argument(
        "--seed",
        type=_seed,
        metavar="N",
        help="seed of the random pick (overrides targets.seed; default: drawn and shown)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(func=run)


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError("must be between 0 and 2**63-1")
    return value


def run(args: argparse.Namespace) -> int:
    from gameday.core.formats.inventory_loader import load_inventory
    from gameday.core.formats.scenario import load_scenario
    from gameday.core.plan import build_plan

    errors: list[InputError] = []
    scenario = _attempt(lambda: load_scenario(args.scenario), errors)
    inventory = _attempt(lambda: load_inventory(args.inventory), errors)
    if scenario is None or inventory is None:
        for error in errors:
            print(error.message, file=sys.stderr)
        return ExitCode.BAD_INPUT
    plan = build_plan(scenario, inventory, seed=args.seed)
    if args.json:
        json.dump(plan.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        write_plan(plan, sys.stdout)
    return ExitCode.OK


def _attempt(load: Callable[[], T], errors: list[InputError]) -> T | None:
    try:
        return load()
    except InputErrors as exc:
        errors.extend(exc.errors)
    except InputError as exc:
        errors.append(exc)
    return None


# --- the human form --------------------------------------------------------------------------
def write_plan(plan: Plan, out: TextIO) -> None:
    """The plan as a person reads it before saying yes."""
    s = plan.scenario
    w = out.write
    w(f"Scenario    {s.id}: {s.title}\n")
    if s.hypothesis:
        w(f"Hypothesis  {_oneline(s.hypothesis)}\n")
    w(f"Files       {s.file} (sha256 {s.sha256[:12]}), inventory {plan.inventory.file}\n")
    sched = s.schedule
    w(
        f"Schedule    warmup {format_duration(sched.warmup)}, duration "
        f"{format_duration(sched.duration)}, cooldown {format_duration(sched.cooldown)}\n"
    )
    w(f"Seed        {plan.seed} (--seed {plan.seed} makes this same pick)\n")
    _write_blast_radius(plan, w)
    _write_steady_state(plan, w)
    from gameday.core.plan import fault_label

    w("\nFaults\n")
    for index, fault in enumerate(s.faults, start=1):
        label = fault_label(fault)
        w(f"  {index}. {fault.kind}" + (f" ({label})" if label else "") + "\n")
    _write_commands(plan, w)
    w("\nPreview only: no host was contacted.\n")


def _write_blast_radius(plan: Plan, w: Callable[[str], object]) -> None:
    targets, waves = plan.targets, plan.waves
    limit = plan.scenario.targets.max_concurrent
    per_wave = f", at most {limit} at once" if limit else ""
    stages = plan.selection.stages
    grouped = (
        f"a ladder of {_count(len(stages), 'stage')}" if stages else _count(len(waves), "wave")
    )
    where = "on" if stages else "in"
    w(f"\nTargets: {_count(len(targets), 'host')} {where} {grouped}{per_wave}\n")
    width = max((len(name) for name in [*targets, *plan.spared]), default=0)
    for name in sorted(targets, key=lambda n: plan.hosts[n].stage):  # stable: inventory order
        hp = plan.hosts[name]
        host = hp.host
        sudo = ", sudo" if host.sudo else ""
        when = f"stage {hp.stage}" if stages else f"wave {hp.wave}"
        w(f"  {when}  {name:<{width}}  {host.user}@{host.address}:{host.port}{sudo}\n")
    if stages:
        _write_ladder(plan, w)
    w(f"\nSpared: {_count(len(plan.spared), 'host')}\n")
    for name, reason in plan.spared.items():
        w(f"  {name:<{width}}  {reason}\n")


def _write_ladder(plan: Plan, w: Callable[[str], object]) -> None:
    from gameday.core.ladder import ladder_lines

    duration = format_duration(plan.scenario.schedule.duration)
    w(
        f"\nLadder: each stage is injected, watched for {duration}, reverted and verified; the "
        "next\nstage starts only if the steady state held (no breach, no poll without data)\n"
    )
    for line in ladder_lines(plan.selection, plan.scenario.targets.stages):
        w(f"  {line}\n")


def _write_steady_state(plan: Plan, w: Callable[[str], object]) -> None:
    steady = plan.scenario.steady_state
    w(f"\nSteady state, sampled every {format_duration(steady.interval)}\n")
    width = max(len(p.name) for p in steady.probes)
    for probe in steady.probes:
        w(f"  {probe.name:<{width}}  {_probe_text(probe)}\n")
    if plan.scenario.abort_when:
        w("\nAbort when\n")
        for text in rule_texts(plan.scenario.abort_when, steady.probes):
            w(f"  {text}\n")


def _probe_text(probe: Probe) -> str:
    bounds = describe_bounds(probe)
    if probe.kind == "prometheus":
        return f"prometheus  {bounds}  {_oneline(probe.query)}"
    if probe.kind == "http":
        return f"http {probe.measure}  {bounds}  GET {probe.url} x{probe.requests}"
    if probe.kind == "command":
        return f"command on {probe.host}  {bounds}  {_oneline(probe.query)}"
    return f"system {probe.query} of this console's machine  {bounds}"


def _write_commands(plan: Plan, w: Callable[[str], object]) -> None:
    """Every line each target receives; `sh -c` scripts shown unquoted (`sh> …`) to be read,
    exactly as sent in `--json`."""
    from gameday.core.faults.reference import display

    w("\nCommands per target, in the order they are sent\n")
    w("(the engine also arms a dead-man timer and a lease on each host around them)\n")
    for name, hp in plan.hosts.items():
        when = f"joins at stage {hp.stage}" if hp.stage else f"wave {hp.wave}"
        w(f"\n{name}  ({when})\n")
        for fault, label in zip(hp.faults, hp.labels, strict=True):
            extra = f" ({label})" if label else ""
            summary = f": {fault.summary}" if fault.summary else ""
            w(f"  fault {fault.fault_id} {fault.kind}{extra}{summary}\n")
        for step in hp.steps():
            tag = step.fault_id or step.name
            w(f"  {step.phase:<15} [{tag}] {display(step.command)}\n")
    if plan.rollback_elsewhere:
        w("\nRollback on other hosts, after the faults are reverted\n")
        for rollback in plan.rollback_elsewhere:
            w(f"  {rollback.host}  [{rollback.name}] {rollback.run}\n")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _oneline(text: str) -> str:
    return " ".join(text.split())
