"""The blast-radius ladder as planned: `targets.stages` read and checked where it is written,
stages picked with the seed so each holds the one before, and the ladder in `preview`."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gameday.cli import main
from gameday.core.formats.inventory import Host, Inventory
from gameday.core.formats.scenario import TargetSpec, load_scenario
from gameday.core.formats.stages import StageSize, stage_sizes
from gameday.core.plan import build_plan
from gameday.core.selection import CUT, select_targets
from gameday.errors import InputError, InputErrors, PlanError


def fleet(web: int, protected: int = 1) -> Inventory:
    names = [f"web-{i:02}" for i in range(1, web + 1)] + [f"db-{i}" for i in range(protected)]
    hosts = {
        n: Host(name=n, address=n, tags=MappingProxyType({"role": n.split("-")[0]})) for n in names
    }
    return Inventory(
        file="inv.yaml",
        hosts=MappingProxyType(hosts),
        groups=MappingProxyType({}),
        protected=frozenset(n for n in names if n.startswith("db")),
    )


def spec(*sizes: StageSize, max_concurrent: int | None = None) -> TargetSpec:
    return TargetSpec(select_all(), stages=sizes, max_concurrent=max_concurrent, file="s.yaml")


def select_all() -> MappingProxyType[str, str]:
    return MappingProxyType({})


def count(n: int) -> StageSize:
    return StageSize(count=n)


def pct(p: float) -> StageSize:
    return StageSize(percentage=p)


stage_entry = st.one_of(
    st.integers(min_value=1, max_value=40).map(count),
    st.integers(min_value=1, max_value=100).map(lambda p: pct(float(p))),
)


def expected_sizes(stages: tuple[StageSize, ...], candidates: int) -> list[int]:
    sizes: list[int] = []
    for stage in stages:
        wanted = (
            max(1, math.ceil(stage.percentage * candidates / 100))
            if stage.percentage is not None
            else stage.count or 1
        )
        sizes.append(max(wanted, sizes[-1] + 1 if sizes else 1))
    return sizes


# --- properties of the pick ------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    web=st.integers(min_value=1, max_value=30),
    stages=st.lists(stage_entry, min_size=1, max_size=6).map(tuple),
    seed=st.integers(min_value=0, max_value=2**31),
    max_concurrent=st.one_of(st.none(), st.integers(min_value=1, max_value=5)),
)
def test_stages_are_nested_sized_as_written_and_spare_the_rest_with_a_reason(
    web: int, stages: tuple[StageSize, ...], seed: int, max_concurrent: int | None
) -> None:
    sizes = expected_sizes(stages, web)
    if sizes[-1] > web:
        with pytest.raises(PlanError, match=r"targets\.stages\[\d+\]: stage \d+ .* needs"):
            select_targets(fleet(web), spec(*stages), seed=seed)
        return
    sel = select_targets(fleet(web), spec(*stages, max_concurrent=max_concurrent), seed=seed)
    assert [len(stage) for stage in sel.stages] == sizes
    for before, after in zip(sel.stages, sel.stages[1:], strict=False):
        assert set(before) < set(after)  # nested, and each stage adds at least one host
    assert sel.targets == sel.stages[-1]
    assert not any(name.startswith("db") for stage in sel.stages for name in stage)
    left_out = {n for n in fleet(web).hosts if n.startswith("web")} - set(sel.targets)
    assert {n for n, rule in sel.rules.items() if rule == CUT} == left_out
    for name in left_out:
        assert sel.spared[name].startswith(f"cut by stages: the last stage ({stages[-1].text})")
    for number in range(1, len(sel.stages) + 1):
        waves = sel.stage_waves(number)
        assert [h for wave in waves for h in wave] == list(sel.stages[number - 1])
        assert all(len(wave) <= (max_concurrent or web) for wave in waves)
        joining = sel.joining(number)
        assert set(joining) | set(sel.stages[number - 2] if number > 1 else ()) == set(
            sel.stages[number - 1]
        )


@settings(max_examples=100, deadline=None)
@given(
    web=st.integers(min_value=3, max_value=30),
    seed=st.integers(min_value=0, max_value=2**31),
)
def test_the_same_seed_picks_the_same_stages_and_a_longer_ladder_keeps_the_first_ones(
    web: int, seed: int
) -> None:
    short = select_targets(fleet(web), spec(count(1), count(2)), seed=seed)
    longer = select_targets(fleet(web), spec(count(1), count(2), pct(100)), seed=seed)
    again = select_targets(fleet(web), spec(count(1), count(2)), seed=seed)
    assert short.stages == again.stages
    assert longer.stages[:2] == short.stages


def test_a_percentage_rounds_up_and_a_stage_adds_at_least_one_host() -> None:
    assert stage_sizes((count(1), pct(10), pct(34), pct(100)), 5) == (1, 2, 3, 5)


def test_a_ladder_taller_than_the_candidates_names_the_stage_file_and_line() -> None:
    stages = (StageSize(count=1, line=7), StageSize(count=3, line=7))
    with pytest.raises(PlanError) as caught:
        select_targets(fleet(2), spec(*stages), seed=1)
    assert caught.value.message == (
        "s.yaml:7: targets.stages[1]: stage 2 (3) needs 3 hosts but only 2 candidates match "
        "the selection"
    )


def test_waves_still_split_the_targets_without_a_ladder() -> None:
    sel = select_targets(fleet(4), TargetSpec(select_all(), max_concurrent=3), seed=1)
    assert sel.stages == () and [len(w) for w in sel.waves] == [3, 1]


# --- what a scenario author reads ---------------------------------------------------------------

SCENARIO = """\
id: web-ladder
targets:
  select: all
{targets}
steady_state:
  probes: [{{name: cpu, system: cpu, max: 90}}]
faults: [{{kind: cpu_stress}}]
schedule: {{duration: 10s}}
"""


def write(tmp_path: Path, targets: str) -> Path:
    path = tmp_path / "ladder.yaml"
    path.write_text(SCENARIO.format(targets=targets))
    return path


def problems(tmp_path: Path, targets: str) -> list[str]:
    path = write(tmp_path, targets)
    try:
        load_scenario(path)
    except InputErrors as exc:
        return [e.message.replace(str(path), "F") for e in exc.errors]
    except InputError as exc:
        return [exc.message.replace(str(path), "F")]
    return []


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        (
            "  stages: [1, 2]\n  count: 2",
            [
                "F:5: targets.count: count and stages exclude each other: the last stage is the "
                "whole blast radius; write that size as the last entry of stages"
            ],
        ),
        (
            '  percentage: 50\n  stages: [1, "50%"]',
            [
                "F:4: targets.percentage: percentage and stages exclude each other: the last "
                "stage is the whole blast radius; write that size as the last entry of stages"
            ],
        ),
        (
            "  stages: []",
            ['F:4: targets.stages: must list at least one stage (e.g. [1, 2, "50%", "100%"])'],
        ),
        ("  stages: 3", ["F:4: targets.stages: expected a list, got '3'"]),
        (
            "  stages:\n    - 2\n    - 2",
            [
                "F:6: targets.stages[1]: 2 is not larger than the stage before (2): each stage "
                "is the cumulative blast radius and must add at least one host"
            ],
        ),
        (
            '  stages: ["50%", "25%"]',
            [
                "F:4: targets.stages[1]: 25% is not larger than the stage before (50%): each "
                "stage is the cumulative blast radius and must grow"
            ],
        ),
        (
            '  stages: [0, "150%", half, 1.5]',
            [
                "F:4: targets.stages[0]: a stage has between 1 and 100000 hosts, got 0",
                "F:4: targets.stages[1]: a percentage must be more than 0% and at most 100%, "
                "got 150%",
                "F:4: targets.stages[2]: expected a number of hosts (1, 2, …) or a percentage "
                "in quotes (\"50%\"), got 'half'",
                "F:4: targets.stages[3]: expected a number of hosts (1, 2, …) or a percentage "
                "in quotes (\"50%\"), got '1.5'",
            ],
        ),
        ("  stags: [1]", ["F:4: targets.stags: unknown key (did you mean 'stages'?)"]),
    ],
)
def test_a_bad_ladder_is_refused_with_file_line_and_field(
    tmp_path: Path, targets: str, expected: list[str]
) -> None:
    assert problems(tmp_path, targets) == expected


def test_a_good_ladder_reads_counts_and_percentages_as_written(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, '  stages: [1, 2, "50%", "100%"]'))
    assert [s.text for s in scenario.targets.stages] == ["1", "2", "50%", "100%"]


def test_validate_exits_2_on_a_bad_ladder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "  stages: [3, 2]")
    assert main(["validate", str(path)]) == 2
    assert "targets.stages[1]: 2 is not larger than the stage before (3)" in capsys.readouterr().err


INVENTORY = """\
protected: [db-1]
hosts:
  web-1: {address: 10.0.0.11, tags: {role: web}}
  web-2: {address: 10.0.0.12, tags: {role: web}}
  web-3: {address: 10.0.0.13, tags: {role: web}}
  web-4: {address: 10.0.0.14, tags: {role: web}}
  db-1:  {address: 10.0.0.21, tags: {role: db}}
"""


def test_preview_exits_2_when_the_inventory_cannot_fill_the_ladder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "  stages: [1, 2, 5]\n  seed: 1")
    inventory = tmp_path / "inv.yaml"
    inventory.write_text(INVENTORY)
    assert main(["preview", str(path), "-i", str(inventory)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:4: targets.stages[2]: stage 3 (5) needs 5 hosts but only 4 candidates" in err


def test_preview_shows_which_hosts_join_at_which_stage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, '  stages: [1, "50%", "100%"]\n  max_concurrent: 2\n  seed: 4')
    inventory = tmp_path / "inv.yaml"
    inventory.write_text(INVENTORY)
    plan = build_plan(load_scenario(path), _inventory(inventory))
    first, second, third = plan.selection.stages
    assert main(["preview", str(path), "-i", str(inventory)]) == 0
    out = capsys.readouterr().out
    assert "Targets: 4 hosts on a ladder of 3 stages, at most 2 at once" in out
    assert f"stage 1 (1): 1 host; first: {first[0]}" in out
    joined = ", ".join(h for h in second if h not in first)
    assert f"stage 2 (50%): 2 hosts; joining: {joined}" in out
    assert "stage 3 (100%): 4 hosts in 2 waves; joining: " in out
    assert "db-1   protected by the inventory" in out
    assert main(["preview", str(path), "-i", str(inventory), "--json"]) == 0
    stages = json.loads(capsys.readouterr().out)["stages"]
    assert [s["hosts"] for s in stages] == [list(first), list(second), list(third)]
    assert [s["size"] for s in stages] == ["1", "50%", "100%"]
    assert stages[2]["waves"] == [list(third[:2]), list(third[2:])]


def _inventory(path: Path) -> Inventory:
    from gameday.core.formats.inventory_loader import load_inventory

    return load_inventory(path)


def test_preview_json_lists_no_stages_without_a_ladder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "  count: 2\n  seed: 4")
    inventory = tmp_path / "inv.yaml"
    inventory.write_text(INVENTORY)
    assert main(["preview", str(path), "-i", str(inventory), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["stages"] == []


def test_the_ladder_never_picks_a_protected_host() -> None:
    sel = select_targets(fleet(3, protected=2), spec(count(1), pct(100)), seed=9)
    assert [len(stage) for stage in sel.stages] == [1, 3]
    assert all(not h.startswith("db") for h in sel.targets)
    assert sel.spared == {
        "db-0": "protected by the inventory",
        "db-1": "protected by the inventory",
    }
