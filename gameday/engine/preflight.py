"""Preflight only: a rehearsal that checks what a session would need and touches nothing.

`check_only` runs, for a plan, every capability check of every fault on every target (the same
`HostDriver.check` a session's preflight runs), reports each host that could not be reached,
and samples every steady-state probe once (is there a baseline to compare with?). It arms,
injects and journals nothing: no session exists. The capability checks create gameday's
state directory on a host at most (see `FaultRunner.check`), never a fault record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from gameday.core.plan import Plan
from gameday.core.steady import evaluate
from gameday.core.wording import probe_bounds, quantity
from gameday.engine.ports import HostDriver, MetricSource

MAX_WORKERS = 32
T = TypeVar("T")


@dataclass(frozen=True)
class CheckResult:
    subject: str
    """A host name, or `probe NAME`."""
    check: str
    """`connect`, `cpu_stress capability`, `baseline`."""
    ok: bool
    detail: str = ""
    """Why not (or, for a probe, the value read against its bound)."""


@dataclass(frozen=True)
class PreflightReport:
    scenario_id: str
    results: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if not r.ok)


def check_only(
    plan: Plan,
    drivers: Mapping[str, HostDriver],
    sources: Mapping[str, MetricSource],
    unreachable: Mapping[str, str] | None = None,
) -> PreflightReport:
    """Every capability check on every target and one baseline sample per probe (see above).

    Hosts are checked in parallel, like a session's preflight; results are in target order.
    """
    unreachable = unreachable or {}
    results: list[CheckResult] = []
    targets = list(plan.selection.targets)
    for host in targets:
        if host in unreachable:
            results.append(CheckResult(host, "connect", False, unreachable[host]))
        elif host not in drivers:
            results.append(CheckResult(host, "connect", False, "no connection to this host"))
    checked = [h for h in targets if h in drivers and h not in unreachable]
    per_host = _parallel(checked, lambda host: _check_host(plan, host, drivers[host]))
    for host in checked:
        results.extend(per_host[host])
    results.extend(_baseline(plan, sources))
    return PreflightReport(plan.scenario.id, tuple(results))


def _check_host(plan: Plan, host: str, driver: HostDriver) -> list[CheckResult]:
    found = []
    for fault in plan.host_plans.get(host, ()):
        outcome = driver.check(fault)
        found.append(CheckResult(host, f"{fault.kind} capability", outcome.ok, outcome.detail))
    return found


def _baseline(plan: Plan, sources: Mapping[str, MetricSource]) -> list[CheckResult]:
    probes = list(plan.scenario.steady_state.probes)
    readings = _parallel(
        [p.name for p in probes if p.name in sources], lambda n: sources[n].sample()
    )
    found = []
    for probe in probes:
        subject = f"probe {probe.name}"
        reading = readings.get(probe.name)
        if reading is None:
            found.append(CheckResult(subject, "baseline", False, "no source for this probe"))
            continue
        ok = evaluate(probe, reading.value)
        if ok is None:
            why = f"no data: {reading.detail}" if reading.detail else "no data"
            found.append(CheckResult(subject, "baseline", False, why))
            continue
        value = quantity(reading.value, probe.unit)
        holds = "within" if ok else "OUTSIDE"
        found.append(
            CheckResult(subject, "baseline", ok, f"{value}, {holds} {probe_bounds(probe)}")
        )
    return found


def _parallel(names: Sequence[str], fn: Callable[[str], T]) -> dict[str, T]:
    if not names:
        return {}
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(names))) as pool:
        return dict(zip(names, pool.map(fn, names), strict=True))


def result_line(result: CheckResult, width: int = 0) -> str:
    """`pass  web-1           cpu_stress capability` / `FAIL  web-3  …: why` (one line)."""
    mark = "pass" if result.ok else "FAIL"
    why = f": {result.detail}" if result.detail else ""
    return f"{mark}  {result.subject:<{width}}  {result.check}{why}"


def summary_line(report: PreflightReport) -> str:
    failed = len(report.failures)
    total = len(report.results)
    if not failed:
        return (
            f"preflight only for {report.scenario_id}: all {total} checks passed; nothing injected"
        )
    return (
        f"preflight only for {report.scenario_id}: {failed} of {total} checks failed; "
        "nothing injected"
    )
