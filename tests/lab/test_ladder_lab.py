"""The blast-radius ladder against the real lab: its load generator's error rate holds with one
shop node cut off and breaks with two, so the ladder stops at stage 2 and the third node is
never sent a fault."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gameday.core.findings.build import findings_from_file
from gameday.core.formats.inventory_loader import load_inventory
from gameday.core.formats.scenario import load_scenario
from gameday.core.plan import build_plan
from gameday.core.session import events as ev
from gameday.core.session.journal import read_journal
from gameday.lab import LabInfo
from tests.lab.support import ERROR_RATE, GAMEDAY, chains

pytestmark = [pytest.mark.lab, pytest.mark.usefixtures("rates_in_prometheus")]

# Three lab hosts share the load: one cut off is about 33% of requests failing, two about 67%.
SCENARIO = f"""
id: lab-ladder
title: The shop loses nodes one stage at a time
hypothesis: With shop nodes cut off, at most 50% of requests fail.
targets:
  select: {{tags: {{role: web}}}}
  stages: [1, 2, "100%"]
  seed: 7
steady_state:
  interval: 1s
  probes:
    - name: error_rate
      prometheus: "{ERROR_RATE}"
      unit: "%"
      max: 50
faults:
  - kind: network_partition
    direction: ingress
    ports: [8080]
schedule: {{warmup: 1s, duration: 9s, cooldown: 2s}}
abort_when:
  - {{probe: error_rate, above: 95, for: 3}}
"""


def test_a_ladder_holds_with_one_node_cut_and_stops_when_two_break_it(
    lab: LabInfo, tmp_path: Path
) -> None:
    scenario = tmp_path / "ladder.yaml"
    scenario.write_text(SCENARIO)
    stages = build_plan(load_scenario(scenario), load_inventory(lab.inventory)).selection.stages
    assert [len(s) for s in stages] == [1, 2, 3]
    (never,) = set(stages[2]) - set(stages[1])
    journals = tmp_path / "journals"
    argv = [
        *GAMEDAY, "run", str(scenario), "-i", str(lab.inventory), "--headless", "--yes",
        "--journal-dir", str(journals),
    ]  # fmt: skip
    result = subprocess.run(argv, capture_output=True, text=True, timeout=240, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"ladder stage 1 (1): 1 host; first: {stages[0][0]}" in result.stdout
    assert "held up to stage 1 of 3; broke at stage 2: error_rate out of bounds" in result.stdout

    (path,) = journals.glob("*.jsonl")
    events = read_journal(path).events
    ends = [(e.stage, e.outcome) for e in events if isinstance(e, ev.StageEnded)]
    assert ends == [(1, "held"), (2, "broke")]
    armed = {e.host for e in events if isinstance(e, ev.FaultArmed)}
    assert armed == set(stages[1])
    steps = {e.step for e in events if isinstance(e, ev.CommandRan) and e.host == never}
    assert steps == {"capability"}, f"{never} was sent more than preflight: {steps}"
    assert all(e.verified for e in events if isinstance(e, ev.FaultReverted))
    for host in stages[2]:
        assert "GAMEDAY" not in chains(lab, host)

    findings = findings_from_file(path)
    assert findings.summary[0] == (
        "The hypothesis held up to stage 1 of 3 (1 host); it broke at stage 2 (2 hosts)."
    )
    assert findings.verdict == "deviated"


def test_ladder_stop_ends_after_the_first_stage_that_held(lab: LabInfo, tmp_path: Path) -> None:
    scenario = tmp_path / "ladder.yaml"
    scenario.write_text(SCENARIO)
    journals = tmp_path / "journals"
    argv = [
        *GAMEDAY, "run", str(scenario), "-i", str(lab.inventory), "--headless", "--yes",
        "--journal-dir", str(journals), "--ladder", "stop",
    ]  # fmt: skip
    result = subprocess.run(argv, capture_output=True, text=True, timeout=240, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the ladder was stopped there (no-go by --ladder stop)" in result.stdout
    (path,) = journals.glob("*.jsonl")
    events = read_journal(path).events
    assert [(e.stage, e.outcome) for e in events if isinstance(e, ev.StageEnded)] == [(1, "held")]
    assert len({e.host for e in events if isinstance(e, ev.FaultArmed)}) == 1
