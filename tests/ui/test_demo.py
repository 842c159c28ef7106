"""The demo backend without the console: packaged files, simulated hosts, metrics, verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from gameday.app.demo import DemoBackend, DemoOptions, demo_dir
from gameday.core.formats.inventory_loader import load_inventory
from gameday.core.formats.scenario import load_scenario
from gameday.core.plan import build_plan
from gameday.core.session import events as ev
from gameday.core.session.journal import read_journal
from gameday.demo.clock import ScaledClock, SteppingClock
from gameday.demo.simulation import Fleet, FleetView, error_rate, p95_latency

SCENARIOS = sorted((demo_dir() / "scenarios").glob("*.yaml"))


def backend(tmp_path: Path, seed: int = 7) -> DemoBackend:
    return DemoBackend(
        DemoOptions(seed=seed, clock=SteppingClock(), host_delay=0.0, journal_dir=tmp_path)
    )


def run(tmp_path: Path, stem: str, seed: int = 7) -> tuple[DemoBackend, tuple[ev.Event, ...]]:
    demo = backend(tmp_path, seed)
    opened = demo.open(demo.plan(str(demo_dir() / "scenarios" / f"{stem}.yaml")))
    try:
        opened.session.run()
    finally:
        opened.close()
    return demo, read_journal(opened.journal_path).events


def test_the_demo_fleet_has_six_tagged_hosts_and_a_protected_database() -> None:
    inventory = load_inventory(demo_dir() / "fleet.yaml")
    assert len(inventory.hosts) == 6
    assert all({"role", "zone"} <= set(host.tags) for host in inventory.hosts.values())
    assert inventory.protected == frozenset({"db-1"})


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_packaged_scenario_validates_and_plans_on_the_demo_fleet(path: Path) -> None:
    scenario = load_scenario(path)
    plan = build_plan(scenario, load_inventory(demo_dir() / "fleet.yaml"))
    assert plan.selection.targets
    assert "db-1" in plan.selection.spared


def test_the_packaged_scenarios_use_several_fault_kinds() -> None:
    kinds = {fault.kind for path in SCENARIOS for fault in load_scenario(path).faults}
    assert len(SCENARIOS) >= 3
    assert {"cpu_stress", "network_partition", "network_latency", "process_kill"} <= kinds


def test_a_partition_of_every_api_node_trips_the_abort_rule_and_is_rolled_back(
    tmp_path: Path,
) -> None:
    demo, events = run(tmp_path, "api-partition")
    verdict = next(e for e in events if isinstance(e, ev.VerdictReached))
    assert verdict.verdict == "aborted" and "error_rate above 5" in verdict.reason
    assert any(isinstance(e, ev.RollbackRan) and e.ok for e in events)
    assert demo.fleets[-1].active() == {}
    assert all(h.ran == ["systemctl restart api"] for h in demo.hosts[-1].values())


def test_a_host_without_netem_fails_a_latency_scenario_in_preflight(tmp_path: Path) -> None:
    _, events = run(tmp_path, "web-latency")
    failed = [e for e in events if isinstance(e, ev.PreflightChecked) and not e.ok]
    assert [(e.host, e.check) for e in failed] == [("web-3", "network_latency capability")]
    assert "Specified qdisc kind is unknown" in failed[0].detail
    assert not any(isinstance(e, ev.FaultArmed) for e in events)


def test_cpu_pressure_on_one_web_node_at_a_time_holds(tmp_path: Path) -> None:
    _, events = run(tmp_path, "web-cpu")
    verdict = next(e for e in events if isinstance(e, ev.VerdictReached))
    assert verdict.verdict == "held"
    latency = [
        e.value for e in events if isinstance(e, ev.ProbeSampled) and e.probe == "p95_latency"
    ]
    assert max(v for v in latency if v is not None) > min(v for v in latency if v is not None) + 60


def test_a_killed_api_server_raises_errors_past_the_threshold(tmp_path: Path) -> None:
    _, events = run(tmp_path, "api-process-kill")
    verdict = next(e for e in events if isinstance(e, ev.VerdictReached))
    assert verdict.verdict == "deviated"
    assert any(isinstance(e, ev.ProbeSampled) and e.value is None for e in events)


def test_the_same_seed_gives_the_same_numbers(tmp_path: Path) -> None:
    def samples(directory: Path, seed: int) -> list[float | None]:
        directory.mkdir()
        _, events = run(directory, "web-cpu", seed)
        return [e.value for e in events if isinstance(e, ev.ProbeSampled)]

    first = samples(tmp_path / "a", 7)
    assert first == samples(tmp_path / "b", 7)
    assert first != samples(tmp_path / "c", 8)


def test_metrics_react_to_the_share_of_hosts_with_faults(tmp_path: Path) -> None:
    inventory = load_inventory(demo_dir() / "fleet.yaml")
    fleet = Fleet(inventory, {})
    import random

    quiet = error_rate(fleet.view(), random.Random(1)).value
    fleet.activate("api-1", "f1", "network_partition")
    one = error_rate(fleet.view(), random.Random(1)).value
    fleet.activate("api-2", "f2", "network_partition")
    both = error_rate(fleet.view(), random.Random(1)).value
    assert quiet is not None and one is not None and both is not None
    assert quiet < 1 < one < 5 < both
    slow = FleetView(fleet.roles, {"web-1": ("cpu_stress", "bandwidth")})
    calm = FleetView(fleet.roles, {})
    assert (p95_latency(slow, random.Random(2)).value or 0) > (
        p95_latency(calm, random.Random(2)).value or 0
    ) + 100


def test_a_scaled_clock_runs_faster_than_real_time() -> None:
    import threading
    import time

    clock = ScaledClock(50)
    started, before = clock.now(), time.monotonic()
    clock.wait(5.0, threading.Event())
    assert time.monotonic() - before < 1.0
    assert clock.now() - started >= 5.0
