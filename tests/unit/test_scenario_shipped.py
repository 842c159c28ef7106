"""The scenarios shipped in scenarios/: each validates, each previews against the example
inventory, and together they use every fault kind and every probe kind."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gameday.cli import main
from gameday.core.formats.inventory_loader import load_inventory
from gameday.core.formats.probes import PROBE_KINDS
from gameday.core.formats.scenario import Scenario, load_scenario
from gameday.core.plan import build_plan

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
INVENTORY = SCENARIOS / "inventory.example.yaml"
FAULT_KINDS = {
    "network_partition",
    "network_latency",
    "packet_loss",
    "bandwidth",
    "cpu_stress",
    "memory_stress",
    "io_stress",
    "disk_fill",
    "process_kill",
    "process_pause",
    "service_stop",
    "custom",
}
FILES = sorted(p for p in SCENARIOS.glob("*.yaml") if p != INVENTORY)


def _all() -> list[Scenario]:
    return [load_scenario(path) for path in FILES]


def test_validate_accepts_the_whole_folder(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(SCENARIOS)])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert f"{INVENTORY}: ok (inventory" in out
    assert out.count(": ok (scenario ") == len(FILES) >= 8


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_each_scenario_previews_against_the_example_inventory(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["preview", str(path), "-i", str(INVENTORY), "--json", "--seed", "1"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert doc["targets"]
    assert "db-primary-1" not in doc["targets"]
    assert doc["spared"]["db-primary-1"] == "protected by the inventory"
    assert set(doc["commands"]) == set(doc["targets"])
    assert all(doc["commands"][t] for t in doc["targets"])


def test_ids_match_file_names_and_are_unique() -> None:
    scenarios = _all()
    assert [s.id for s in scenarios] == [p.stem for p in FILES]


def test_together_they_use_every_fault_kind_and_every_probe_kind() -> None:
    scenarios = _all()
    assert {f.kind for s in scenarios for f in s.faults} == FAULT_KINDS
    assert {p.kind for s in scenarios for p in s.steady_state.probes} == set(PROBE_KINDS)


def test_each_is_a_complete_experiment() -> None:
    """A title, a hypothesis, an abort rule, real PromQL; and rollbacks appear somewhere."""
    scenarios = _all()
    for s in scenarios:
        assert s.title != s.id and s.hypothesis and s.description, s.id
        assert s.abort_when, s.id
        queries = [p.query for p in s.steady_state.probes if p.kind == "prometheus"]
        assert any(re.search(r"\b(rate|increase|histogram_quantile)\(", q) for q in queries), s.id
    assert sum(bool(s.rollback) for s in scenarios) >= 4
    assert any("histogram_quantile(" in p.query for s in scenarios for p in s.steady_state.probes)


def test_every_plan_builds_for_any_seed() -> None:
    inventory = load_inventory(INVENTORY)
    for scenario in _all():
        for seed in range(5):
            plan = build_plan(scenario, inventory, seed=seed)
            assert not set(plan.targets) & inventory.protected
