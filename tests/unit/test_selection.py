"""The blast radius: which hosts a scenario hits, why every other host is spared, and the
promise that protected and excluded hosts are never targets, whatever the spec and seed."""

from __future__ import annotations

import math
from pathlib import Path
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gameday.core.formats.inventory import Host, Inventory
from gameday.core.formats.inventory_loader import load_inventory
from gameday.core.formats.scenario import TargetSpec
from gameday.core.selection import RULE_ORDER, keep_count, select_targets
from gameday.errors import PlanError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "inventories"


def inventory(
    hosts: dict[str, dict[str, str]],
    groups: dict[str, tuple[str, ...]] | None = None,
    protected: frozenset[str] = frozenset(),
) -> Inventory:
    return Inventory(
        file="inv.yaml",
        hosts=MappingProxyType(
            {n: Host(name=n, address=n, tags=MappingProxyType(t)) for n, t in hosts.items()}
        ),
        groups=MappingProxyType(groups or {}),
        protected=protected,
    )


def fleet() -> Inventory:
    return inventory(
        {
            "web-1": {"role": "web", "zone": "a"},
            "web-2": {"role": "web", "zone": "b"},
            "web-3": {"role": "web", "zone": "c"},
            "db-1": {"role": "db", "zone": "a"},
            "cache-1": {"zone": "a"},
        },
        groups={"frontend": ("web-1", "web-2", "web-3"), "backend": ("db-1", "cache-1")},
        protected=frozenset({"db-1"}),
    )


# --- the rules and their reasons ----------------------------------------------------------


def test_every_spared_host_says_why() -> None:
    sel = select_targets(fleet(), TargetSpec(tags={"role": "web"}, exclude=("web-2",)), seed=1)
    assert sel.targets == ("web-1", "web-3")
    assert dict(sel.spared) == {
        "web-2": "excluded by the scenario",
        "db-1": "protected by the inventory",
        "cache-1": "has no tag role, wanted web",
    }
    assert sel.rules["cache-1"] == "tags"


def test_tag_mismatch_names_the_tag_and_both_values() -> None:
    inv = fleet()
    sel = select_targets(inv, TargetSpec(tags={"zone": "a"}), seed=1)
    assert sel.spared["web-2"] == "tag zone is b, wanted a"
    assert sel.targets == ("web-1", "cache-1")


def test_rules_apply_in_the_documented_order() -> None:
    inv = fleet()
    spec = TargetSpec(
        hosts=("web-1", "web-2", "db-1", "cache-1"),
        groups=("frontend",),
        tags={"zone": "a"},
        exclude=("web-1", "web-2"),
    )
    sel = select_targets(
        inventory(
            {**{n: dict(h.tags) for n, h in inv.hosts.items()}, "web-4": {"zone": "a"}},
            groups={
                "frontend": ("web-1", "web-2", "web-3", "web-4"),
                "backend": ("db-1", "cache-1"),
            },
            protected=frozenset({"db-1"}),
        ),
        TargetSpec(
            hosts=(*spec.hosts, "web-4"),
            groups=spec.groups,
            tags=spec.tags,
            exclude=("web-1",),
        ),
        seed=1,
    )
    assert sel.targets == ("web-4",)
    assert sel.rules == {
        "web-1": "excluded",  # in hosts, group and zone a: excluded is what spares it
        "web-2": "tags",  # zone b: the tag rule comes before the exclusion
        "web-3": "hosts",
        "db-1": "protected",  # protected wins over every other reason
        "cache-1": "groups",
    }
    assert sel.spared["cache-1"] == "not in group frontend"


def test_protected_host_is_never_a_target_even_when_named() -> None:
    sel = select_targets(fleet(), TargetSpec(hosts=("db-1", "web-1")), seed=3)
    assert sel.targets == ("web-1",)
    assert sel.spared["db-1"] == "protected by the inventory"
    with pytest.raises(PlanError, match=r"1 protected by the inventory \(db-1\)"):
        select_targets(fleet(), TargetSpec(hosts=("db-1",)))


def test_several_groups_select_their_union() -> None:
    sel = select_targets(fleet(), TargetSpec(groups=("frontend", "backend")), seed=1)
    assert sel.targets == ("web-1", "web-2", "web-3", "cache-1")
    inv = fleet()
    narrow = select_targets(
        inventory(
            {**{n: dict(h.tags) for n, h in inv.hosts.items()}, "lone": {}}, dict(inv.groups)
        ),
        TargetSpec(groups=("frontend", "backend")),
        seed=1,
    )
    assert narrow.spared["lone"] == "not in any of the groups frontend, backend"


def test_example_from_the_design_hits_one_checkout_node() -> None:
    inv = inventory(
        {f"checkout-{i}": {"role": "checkout", "env": "staging"} for i in (1, 2, 3)}
        | {"checkout-9": {"role": "checkout", "env": "prod"}}
    )
    spec = TargetSpec(
        tags={"role": "checkout", "env": "staging"},
        exclude=("checkout-1",),
        percentage=34,
        max_concurrent=1,
        seed=7,
    )
    sel = select_targets(inv, spec)
    assert len(sel.targets) == 1 and sel.targets[0] in ("checkout-2", "checkout-3")
    assert sel.seed_used == 7
    cut = next(n for n in ("checkout-2", "checkout-3") if n not in sel.targets)
    assert sel.spared[cut] == "cut by percentage 34%: 1 of 2 candidates picked (seed 7)"
    assert sel.spared["checkout-9"] == "tag env is prod, wanted staging"


def test_fixture_inventories_select_as_documented() -> None:
    inv = load_inventory(FIXTURES / "gameday.yaml")
    sel = select_targets(inv, TargetSpec(tags={"env": "staging"}, count=2), seed=42)
    assert "db-primary-1" not in sel.targets
    assert len(sel.targets) == 2
    assert set(sel.targets) | set(sel.spared) == set(inv.hosts)
    again = select_targets(
        load_inventory(FIXTURES / "gameday.yaml"),
        TargetSpec(tags={"env": "staging"}, count=2),
        seed=42,
    )
    assert again == sel


# --- typos and impossible plans -----------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            TargetSpec(hosts=("webb-1",)),
            r"targets.select.hosts: no host named 'webb-1'.*did you mean web-1",
        ),
        (
            TargetSpec(exclude=("wbe-2",)),
            r"targets.exclude: no host named 'wbe-2'.*did you mean web-2",
        ),
        (
            TargetSpec(groups=("frontnd",)),
            r"targets.select.groups: no group named 'frontnd'.*frontend",
        ),
        (TargetSpec(exclude=("zzz",)), r"no host named 'zzz' in the inventory inv.yaml$"),
        (TargetSpec(percentage=0), "percentage"),
        (TargetSpec(percentage=101), "percentage"),
        (TargetSpec(percentage=float("nan")), "percentage"),
        (TargetSpec(count=0), "count"),
        (TargetSpec(max_concurrent=0), "max_concurrent"),
    ],
)
def test_spec_that_cannot_be_right_is_a_plan_error(spec: TargetSpec, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        select_targets(fleet(), spec, seed=1)


def test_zero_targets_is_an_error_that_summarises_why() -> None:
    with pytest.raises(PlanError) as info:
        select_targets(
            fleet(), TargetSpec(tags={"role": "web"}, exclude=("web-1", "web-2", "web-3"))
        )
    message = info.value.message
    assert message.startswith("no host is a target: ")
    assert "1 protected by the inventory (db-1)" in message
    assert "1 tags do not match (cache-1" in message
    assert "3 excluded by the scenario (web-1, web-2, web-3)" in message


def test_long_lists_in_the_zero_target_message_are_shortened() -> None:
    inv = inventory({f"h{i}": {"role": "db"} for i in range(10)})
    with pytest.raises(
        PlanError,
        match=r"10 tags do not match \(h0: tag role is db, wanted web; h1, h2 and 7 more\)",
    ):
        select_targets(inv, TargetSpec(tags={"role": "web"}))


# --- percentage, count, seeds and waves ---------------------------------------------------


@pytest.mark.parametrize(
    ("candidates", "percentage", "count", "keep"),
    [
        (3, 34, None, 2),  # rounds up
        (3, 33, None, 1),
        (2, 34, None, 1),
        (30, 10, None, 3),  # exact decimal arithmetic: 10% of 30 is 3, not 4
        (5, 1, None, 1),  # at least one
        (7, 100, None, 7),
        (10, 50, 2, 2),  # the smaller limit wins
        (10, 10, 5, 1),
        (3, None, 5, 3),  # a count above the candidates keeps them all
        (4, 12.5, None, 1),
        (8, 12.5, None, 1),
        (9, 12.5, None, 2),
    ],
)
def test_percentage_rounds_up_and_keeps_at_least_one(
    candidates: int, percentage: float | None, count: int | None, keep: int
) -> None:
    assert keep_count(candidates, percentage, count) == keep


def test_seed_argument_wins_over_the_scenario_seed() -> None:
    inv = inventory({f"h{i:02}": {} for i in range(20)})
    spec = TargetSpec(count=3, seed=5)
    assert select_targets(inv, spec).seed_used == 5
    assert select_targets(inv, spec, seed=9).seed_used == 9
    picks = {select_targets(inv, spec, seed=s).targets for s in range(20)}
    assert len(picks) > 5  # the seed really drives the pick


def test_without_any_seed_one_is_drawn_and_reproduces_the_pick() -> None:
    inv = inventory({f"h{i:02}": {} for i in range(30)})
    spec = TargetSpec(percentage=20)
    first = select_targets(inv, spec)
    assert 0 <= first.seed_used < 2**31
    assert select_targets(inv, spec, seed=first.seed_used) == first
    assert len({select_targets(inv, spec).seed_used for _ in range(5)}) > 1


def test_the_pick_is_a_fixed_function_of_seed_and_names() -> None:
    # Pinned: a scenario re-run later with the same seed must hit the same hosts.
    inv = inventory({f"web-{i}": {} for i in range(1, 11)})
    assert select_targets(inv, TargetSpec(count=3), seed=7).targets == ("web-2", "web-5", "web-6")


def test_max_concurrent_splits_targets_into_waves_and_spares_nobody() -> None:
    inv = inventory({f"h{i}": {} for i in range(5)})
    sel = select_targets(inv, TargetSpec(max_concurrent=2), seed=1)
    assert sel.targets == ("h0", "h1", "h2", "h3", "h4")
    assert sel.waves == (("h0", "h1"), ("h2", "h3"), ("h4",))
    assert dict(sel.spared) == {}
    assert [sel.wave_of(n) for n in sel.targets] == [1, 1, 2, 2, 3]
    assert select_targets(inv, TargetSpec(), seed=1).waves == (sel.targets,)


# --- properties ---------------------------------------------------------------------------

NAMES = [f"h{i}" for i in range(12)]
TAGS = {"role": ["web", "db", "cache"], "zone": ["a", "b"]}


@st.composite
def inventories(draw: st.DrawFn) -> Inventory:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=12, unique=True))
    hosts = {}
    for name in names:
        tags = {}
        for key, values in TAGS.items():
            value = draw(st.none() | st.sampled_from(values))
            if value is not None:
                tags[key] = value
        hosts[name] = tags
    group_names = draw(st.lists(st.sampled_from(["g1", "g2", "g3"]), unique=True))
    groups = {g: tuple(draw(st.lists(st.sampled_from(names), unique=True))) for g in group_names}
    protected = frozenset(draw(st.lists(st.sampled_from(names), unique=True, max_size=3)))
    return inventory(hosts, groups, protected)


@st.composite
def specs(draw: st.DrawFn, inv: Inventory) -> TargetSpec:
    names = list(inv.hosts)
    tags = {k: draw(st.sampled_from(v)) for k, v in TAGS.items() if draw(st.booleans())}
    return TargetSpec(
        tags=tags if draw(st.integers(0, 2)) == 0 else {},
        groups=tuple(draw(st.lists(st.sampled_from(list(inv.groups)), unique=True)))
        if inv.groups
        else (),
        hosts=tuple(draw(st.lists(st.sampled_from(names), unique=True))),
        exclude=tuple(draw(st.lists(st.sampled_from(names), unique=True, max_size=3))),
        percentage=draw(st.none() | st.floats(min_value=0.5, max_value=100)),
        count=draw(st.none() | st.integers(1, 15)),
        max_concurrent=draw(st.none() | st.integers(1, 5)),
        seed=draw(st.none() | st.integers(0, 2**40)),
    )


@st.composite
def plans(draw: st.DrawFn) -> tuple[Inventory, TargetSpec, int]:
    inv = draw(inventories())
    return inv, draw(specs(inv)), draw(st.integers(0, 2**64))


@settings(max_examples=400, deadline=None)
@given(plan=plans())
def test_selection_properties(plan: tuple[Inventory, TargetSpec, int]) -> None:
    inv, spec, seed = plan
    try:
        sel = select_targets(inv, spec, seed=seed)
    except PlanError as exc:
        # Only legitimate when no host passes the filters.
        assert exc.message.startswith("no host is a target: ")
        return
    targets, spared = set(sel.targets), set(sel.spared)
    assert sel.seed_used == seed
    assert select_targets(inv, spec, seed=seed) == sel  # same seed, same pick
    assert not targets & inv.protected
    assert not targets & set(spec.exclude)
    assert not targets & spared and targets | spared == set(inv.hosts)
    assert all(reason.strip() for reason in sel.spared.values())
    assert set(sel.rules) == spared and set(sel.rules.values()) <= set(RULE_ORDER)
    assert list(sel.targets) == [n for n in inv.hosts if n in targets]  # inventory order
    for name in sel.targets:
        host = inv.hosts[name]
        assert all(host.tags.get(k) == v for k, v in spec.tags.items())
        assert not spec.hosts or name in spec.hosts
        assert not spec.groups or any(name in inv.groups[g] for g in spec.groups)
    candidates = len(targets) + sum(1 for r in sel.rules.values() if r == "cut")
    assert len(sel.targets) == keep_count(candidates, spec.percentage, spec.count) >= 1
    if spec.count is not None:
        assert len(sel.targets) <= spec.count
    if spec.percentage is not None:
        assert len(sel.targets) <= max(1, math.ceil(candidates * spec.percentage / 100 + 1e-9))
    flat = [n for wave in sel.waves for n in wave]
    assert flat == list(sel.targets)
    assert all(0 < len(wave) <= (spec.max_concurrent or len(flat)) for wave in sel.waves)


@settings(max_examples=200, deadline=None)
@given(plan=plans(), data=st.data())
def test_pick_does_not_depend_on_the_order_of_the_inventory(
    plan: tuple[Inventory, TargetSpec, int], data: st.DataObject
) -> None:
    inv, spec, seed = plan
    order = data.draw(st.permutations(list(inv.hosts)))
    shuffled = Inventory(
        file=inv.file,
        hosts=MappingProxyType({n: inv.hosts[n] for n in order}),
        groups=inv.groups,
        protected=inv.protected,
    )
    try:
        a = select_targets(inv, spec, seed=seed)
    except PlanError:
        with pytest.raises(PlanError):
            select_targets(shuffled, spec, seed=seed)
        return
    b = select_targets(shuffled, spec, seed=seed)
    assert set(a.targets) == set(b.targets)
    assert dict(a.spared) == dict(b.spared)


def test_worked_example_of_the_inventory_reference_holds() -> None:
    # docs/inventory.md walks through exactly this selection; keep the page true.
    inv = load_inventory(FIXTURES / "gameday.yaml")
    spec = TargetSpec(
        tags={"env": "staging"}, exclude=("web-2",), count=2, max_concurrent=1, seed=7
    )
    sel = select_targets(inv, spec)
    assert sel.targets == ("web-1", "db-replica-1")
    assert sel.waves == (("web-1",), ("db-replica-1",))
    assert dict(sel.spared) == {
        "web-2": "excluded by the scenario",
        "web-3": "cut by count 2: 2 of 3 candidates picked (seed 7)",
        "db-primary-1": "protected by the inventory",
    }
    doc = (Path(__file__).resolve().parents[2] / "docs" / "inventory.md").read_text()
    assert "`cut by count 2: 2 of 3 candidates picked (seed 7)`" in doc
    assert "`web-1` and `db-replica-1`" in doc


def test_boolean_tags_match_however_they_are_spelled() -> None:
    inv = inventory({"a": {"critical": "true"}, "b": {"critical": "no"}, "c": {"critical": "Yes"}})
    sel = select_targets(inv, TargetSpec(tags={"critical": "yes"}), seed=1)
    assert sel.targets == ("a", "c")
    assert sel.spared["b"] == "tag critical is no, wanted yes"
    other = inventory({"a": {"zone": "a"}, "b": {"zone": "A"}})
    assert select_targets(other, TargetSpec(tags={"zone": "a"}), seed=1).targets == ("a",)


def test_zero_target_message_of_the_reference_holds() -> None:
    inv = load_inventory(FIXTURES / "gameday.yaml")
    with pytest.raises(PlanError) as info:
        select_targets(inv, TargetSpec(tags={"env": "prod"}))
    assert info.value.message == (
        "no host is a target: 1 protected by the inventory (db-primary-1); 4 tags do not match "
        "(web-1: tag env is staging, wanted prod; web-2, web-3 and 1 more)"
    )
    doc = " ".join(
        (Path(__file__).resolve().parents[2] / "docs" / "inventory.md").read_text().split()
    )
    assert " ".join(info.value.message.split()) in doc


SHIPPED = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.mark.parametrize(
    "scenario",
    sorted(p for p in SHIPPED.glob("*.yaml") if not p.name.startswith("inventory")),
    ids=lambda p: p.stem,
)
def test_every_shipped_scenario_picks_targets_in_the_example_inventory(scenario: Path) -> None:
    from gameday.core.formats.scenario import load_scenario

    inv = load_inventory(SHIPPED / "inventory.example.yaml")
    sel = select_targets(inv, load_scenario(scenario).targets)
    assert sel.targets
    assert not set(sel.targets) & inv.protected
    assert set(sel.targets) | set(sel.spared) == set(inv.hosts)
