"""The journal's copy of a scenario: plain JSON, every fault's kind and parameters, no secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gameday.core.findings.snapshot import read_snapshot
from gameday.core.formats.scenario import load_scenario
from gameday.core.session.snapshot import scenario_snapshot

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))
SCENARIOS = [p for p in SCENARIOS if not p.name.startswith("inventory")]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_shipped_scenario_snapshots_to_json_with_fault_kinds(path: Path) -> None:
    scenario = load_scenario(path)
    body = scenario_snapshot(scenario)
    assert json.loads(json.dumps(body)) == body
    read = read_snapshot(body)
    assert read.faults is not None and read.probes is not None and read.abort_rules is not None
    assert [f.kind for f in read.faults] == [f.kind for f in scenario.faults]
    assert [p.name for p in read.probes] == [p.name for p in scenario.steady_state.probes]
    assert [p.max for p in read.probes] == [p.max for p in scenario.steady_state.probes]
    assert len(read.abort_rules) == len(scenario.abort_when)
    assert read.schedule_seconds.get("duration") == scenario.schedule.duration


def test_credentials_in_a_scenario_do_not_reach_the_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        """
id: secret-check
title: t
hypothesis: h
targets: {select: {hosts: [a]}}
steady_state:
  probes:
    - name: home
      http: {url: "https://shop.test/health"}
      max_latency: 300ms
faults:
  - kind: custom
    inject: "curl -H 'Authorization: Bearer tok123' http://127.0.0.1/break"
    revert: "true"
schedule: {duration: 1m}
"""
    )
    text = json.dumps(scenario_snapshot(load_scenario(path)))
    assert "tok123" not in text
