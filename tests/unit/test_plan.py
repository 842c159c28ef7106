"""The plan: who is hit, who is spared and why, and every line each target receives, in order."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from pathlib import Path
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gameday.core.formats.inventory import Host, Inventory
from gameday.core.formats.inventory_loader import load_inventory
from gameday.core.formats.scenario import Scenario, TargetSpec, load_scenario
from gameday.core.plan import FAULT_ID_PATTERN, Plan, build_plan, fault_id
from gameday.errors import PlanError

INVENTORY = """\
defaults: {user: root, port: 22}
protected: [db-1]
hosts:
  web-1: {address: 10.0.0.11, tags: {role: web, zone: a}}
  web-2: {address: 10.0.0.12, port: 2222, user: ops, sudo: true, tags: {role: web, zone: b}}
  web-3: {address: 10.0.0.13, tags: {role: web, zone: b}}
  db-1:  {address: 10.0.0.21, tags: {role: db, zone: a}}
  lb-1:  {address: 10.0.0.31, tags: {role: lb, zone: a}}
groups:
  frontend: [web-1, web-2, web-3]
"""

SCENARIO = """\
id: two-faults
targets:
  select: {tags: {role: web}}
steady_state:
  probes:
    - {name: up, prometheus: "min(up)", min: 1}
faults:
  - {kind: network_partition, name: cut http, ports: [80]}
  - {kind: cpu_stress, load: 50}
schedule: {duration: 2m}
rollback:
  - {name: everywhere, run: "true"}
  - {name: on web-3 only, run: "echo web-3", host: web-3}
  - {name: on the balancer, run: "echo lb", host: lb-1}
"""


@pytest.fixture
def inventory(tmp_path: Path) -> Inventory:
    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY)
    return load_inventory(path)


def scenario_from(tmp_path: Path, text: str = SCENARIO) -> Scenario:
    path = tmp_path / "scenario.yaml"
    path.write_text(textwrap.dedent(text))
    return load_scenario(path)


def test_targets_and_spared_partition_the_inventory(tmp_path: Path, inventory: Inventory) -> None:
    plan = build_plan(scenario_from(tmp_path), inventory)
    assert plan.targets == ("web-1", "web-2", "web-3")
    assert set(plan.spared) == {"db-1", "lb-1"}
    assert plan.spared["db-1"] == "protected by the inventory"
    assert "role" in plan.spared["lb-1"]


def test_a_protected_host_named_by_the_scenario_is_still_spared(
    tmp_path: Path, inventory: Inventory
) -> None:
    text = SCENARIO.replace("select: {tags: {role: web}}", "select: {hosts: [db-1, web-1]}")
    plan = build_plan(scenario_from(tmp_path, text), inventory)
    assert plan.targets == ("web-1",)
    assert plan.spared["db-1"] == "protected by the inventory"
    assert "db-1" not in plan.commands()


def test_each_target_gets_one_fault_plan_per_fault_built_for_that_host(
    tmp_path: Path, inventory: Inventory
) -> None:
    plan = build_plan(scenario_from(tmp_path), inventory)
    web2 = plan.hosts["web-2"]
    assert [f.kind for f in web2.faults] == ["network_partition", "cpu_stress"]
    assert all(f.host == "web-2" for f in web2.faults)
    text = "\n".join(web2.commands())
    # web-2 logs in on port 2222 with sudo: its SSH port stays open and commands use sudo -n
    assert "2222" in text
    assert all(line.startswith("sudo -n ") for f in web2.faults for line in f.inject)
    web1 = plan.hosts["web-1"]
    assert not any("sudo" in line for f in web1.faults for line in f.inject)
    assert plan.host_plans["web-1"] == web1.faults


def test_steps_are_in_send_order(tmp_path: Path, inventory: Inventory) -> None:
    hp = build_plan(scenario_from(tmp_path), inventory).hosts["web-3"]
    steps = hp.steps()
    phases = [(s.phase, s.kind) for s in steps]
    net, cpu = hp.faults
    expected = (
        [("capability", "network_partition")] * len(net.capability)
        + [("capability", "cpu_stress")] * len(cpu.capability)
        + [("inject", "network_partition")] * len(net.inject)
        + [("verify", "network_partition")] * len(net.verify_active)
        + [("inject", "cpu_stress")] * len(cpu.inject)
        + [("verify", "cpu_stress")] * len(cpu.verify_active)
        + [("revert", "cpu_stress")] * len(cpu.revert)
        + [("verify_reverted", "cpu_stress")] * len(cpu.verify_reverted)
        + [("revert", "network_partition")] * len(net.revert)
        + [("verify_reverted", "network_partition")] * len(net.verify_reverted)
        + [("rollback", "rollback")] * 2
    )
    assert phases == expected
    assert [s.command for s in steps[-2:]] == ["true", "echo web-3"]
    assert steps[0].name == "cut http"
    assert hp.commands() == tuple(s.command for s in steps)


def test_rollback_on_a_host_that_is_not_a_target_is_kept_apart(
    tmp_path: Path, inventory: Inventory
) -> None:
    plan = build_plan(scenario_from(tmp_path), inventory)
    assert [r.name for r in plan.rollback_elsewhere] == ["on the balancer"]
    assert [r.name for r in plan.hosts["web-1"].rollback] == ["everywhere"]
    assert "lb-1" not in plan.commands()


def test_fault_ids_are_stable_short_and_distinct(tmp_path: Path, inventory: Inventory) -> None:
    first = build_plan(scenario_from(tmp_path), inventory)
    again = build_plan(scenario_from(tmp_path), inventory)
    ids = [f.fault_id for hp in first.hosts.values() for f in hp.faults]
    assert ids == [f.fault_id for hp in again.hosts.values() for f in hp.faults]
    assert len(set(ids)) == len(ids) == 6
    assert all(FAULT_ID_PATTERN.fullmatch(i) for i in ids)
    assert first.hosts["web-1"].faults[1].fault_id == fault_id("two-faults", 1, "web-1")


@given(
    scenario_id=st.from_regex(r"[a-z0-9][a-z0-9-]{0,63}", fullmatch=True),
    index=st.integers(0, 31),
    host=st.text(min_size=1, max_size=80),
)
def test_fault_id_format_holds_for_any_input(scenario_id: str, index: int, host: str) -> None:
    value = fault_id(scenario_id, index, host)
    assert FAULT_ID_PATTERN.fullmatch(value)
    assert len(value) <= 14  # fits in an iptables chain name with gameday's prefix


def test_same_seed_same_pick_and_seed_overrides_the_scenario(
    tmp_path: Path, inventory: Inventory
) -> None:
    text = SCENARIO.replace("select: {tags: {role: web}}", "select: all\n  count: 1\n  seed: 11")
    scenario = scenario_from(tmp_path, text)
    picks = {build_plan(scenario, inventory).targets for _ in range(5)}
    assert len(picks) == 1
    assert build_plan(scenario, inventory).seed == 11
    assert build_plan(scenario, inventory, seed=12).seed == 12
    many = {build_plan(scenario, inventory, seed=s).targets for s in range(40)}
    assert len(many) > 1
    assert all("db-1" not in pick for pick in many)


def test_waves_follow_max_concurrent(tmp_path: Path, inventory: Inventory) -> None:
    text = SCENARIO.replace(
        "select: {tags: {role: web}}", "select: {groups: [frontend]}\n  max_concurrent: 2"
    )
    plan = build_plan(scenario_from(tmp_path, text), inventory)
    assert plan.waves == (("web-1", "web-2"), ("web-3",))
    assert [plan.hosts[h].wave for h in plan.targets] == [1, 1, 2]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("select: {tags: {role: web}}", "select: {tags: {role: cache}}", "no host is a target"),
        ("select: {tags: {role: web}}", "select: {hosts: [db-1]}", "no host is a target"),
        (
            "select: {tags: {role: web}}",
            "select: {tags: {role: web}}\n  exclude: [web-01]",
            "targets.exclude: 'web-01' is not a host",
        ),
        ("host: web-3}", "host: web-9}", "rollback[1].host: 'web-9' is not a host"),
        ("host: lb-1}", "host: db-1}", "rollback[2].host: 'db-1' is protected"),
        (
            '    - {name: up, prometheus: "min(up)", min: 1}',
            '    - {name: up, command: "echo 1", host: nowhere, min: 1}',
            "steady_state.probes[0].host: 'nowhere' is not a host",
        ),
    ],
)
def test_scenario_and_inventory_that_do_not_fit_are_a_plan_error(
    tmp_path: Path, inventory: Inventory, old: str, new: str, message: str
) -> None:
    assert old in SCENARIO
    with pytest.raises(PlanError) as caught:
        build_plan(scenario_from(tmp_path, SCENARIO.replace(old, new)), inventory)
    assert message in caught.value.message


def test_plan_is_frozen_and_its_json_is_one_document(tmp_path: Path, inventory: Inventory) -> None:
    plan = build_plan(scenario_from(tmp_path), inventory, seed=3)
    assert isinstance(plan, Plan)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.scenario = plan.scenario  # type: ignore[misc]
    doc = json.loads(json.dumps(plan.to_json()))
    assert doc["scenario"] == "two-faults"
    assert doc["targets"] == ["web-1", "web-2", "web-3"]
    assert doc["spared"]["db-1"] == "protected by the inventory"
    assert doc["seed"] == 3
    assert list(doc["commands"]) == doc["targets"]
    assert doc["commands"]["web-2"] == list(plan.hosts["web-2"].commands())
    assert doc["steps"]["web-1"][0]["phase"] == "capability"
    assert doc["waves"] == [["web-1", "web-2", "web-3"]]
    assert doc["schedule"]["duration"] == 120


# --- the promise, for any fleet ---------------------------------------------------------------
NAMES = [f"h{i}" for i in range(8)]


@st.composite
def fleets(draw: st.DrawFn) -> tuple[Inventory, TargetSpec]:
    hosts = {
        name: Host(
            name=name,
            address=f"10.0.0.{i + 1}",
            tags=MappingProxyType({"role": draw(st.sampled_from(["web", "db"]))}),
        )
        for i, name in enumerate(NAMES)
    }
    protected = frozenset(draw(st.sets(st.sampled_from(NAMES), max_size=4)))
    inventory = Inventory(
        file="inv.yaml",
        hosts=MappingProxyType(hosts),
        groups=MappingProxyType({}),
        protected=protected,
    )
    spec = TargetSpec(
        tags=MappingProxyType(draw(st.sampled_from([{}, {"role": "web"}]))),
        exclude=tuple(draw(st.sets(st.sampled_from(NAMES), max_size=3))),
        percentage=draw(st.one_of(st.none(), st.floats(1, 100))),
        count=draw(st.one_of(st.none(), st.integers(1, 9))),
        max_concurrent=draw(st.one_of(st.none(), st.integers(1, 4))),
        seed=draw(st.one_of(st.none(), st.integers(0, 2**31))),
    )
    return inventory, spec


def _base_scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """SCENARIO without the rollback steps that name hosts of the fixed inventory."""
    text = "\n".join(line for line in SCENARIO.splitlines() if "host: " not in line)
    path = tmp_path_factory.mktemp("plan") / "s.yaml"
    path.write_text(text + "\n")
    return load_scenario(path)


@settings(max_examples=150, deadline=None)
@given(fleet=fleets())
def test_protected_and_excluded_hosts_are_never_targets(
    tmp_path_factory: pytest.TempPathFactory, fleet: tuple[Inventory, TargetSpec]
) -> None:
    inventory, spec = fleet
    scenario = dataclasses.replace(_base_scenario(tmp_path_factory), targets=spec)
    try:
        plan = build_plan(scenario, inventory)
    except PlanError as exc:
        assert "no host is a target" in exc.message
        return
    targets = set(plan.targets)
    assert not targets & inventory.protected
    assert not targets & set(spec.exclude)
    assert targets | set(plan.spared) == set(NAMES)
    assert not targets & set(plan.spared)
    assert all(reason.strip() for reason in plan.spared.values())
    assert set(plan.commands()) == targets
    assert [h for wave in plan.waves for h in wave] == list(plan.targets)
