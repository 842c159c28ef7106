"""One vocabulary: rules, bounds, alarms, gauges and confirmations as a facilitator reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from gameday.core.confirmation import production_targets, typed_confirmation_reason
from gameday.core.formats.inventory_loader import load_inventory
from gameday.core.formats.scenario import AbortRule, load_scenario
from gameday.core.gauge import scale_for, state_of
from gameday.core.plan import build_plan
from gameday.core.session import events as ev
from gameday.core.session.state import SessionState, replay
from gameday.core.session.timeline import describe
from gameday.core.wording import (
    bounds_text,
    fault_name,
    host_timer_text,
    joined_text,
    rule_text,
    steady_word,
    time_left_text,
)


def test_an_abort_rule_carries_the_unit_of_its_probe() -> None:
    rule = AbortRule(probe="error_rate", above=5.0, for_samples=2)
    assert rule_text(rule, "%") == "error_rate above 5% for 2 samples in a row"
    assert rule_text(AbortRule(probe="p95", below=0.2), "s") == (
        "p95 below 0.2 s (at the first such sample)"
    )
    assert rule_text(AbortRule(no_data=3)) == "any probe has no data for 3 polls in a row"


def test_bounds_use_the_same_number_format_as_the_findings() -> None:
    assert bounds_text(None, 300.0, "ms") == "≤ 300 ms"
    assert bounds_text(99.5, None, "%") == "≥ 99.5%"
    assert bounds_text(1.0, 5.0, "s") == "between 1 and 5 s"
    assert bounds_text(None, None) == "no threshold"


def test_the_preview_the_engine_and_the_findings_word_a_rule_the_same_way() -> None:
    from gameday.core.findings.snapshot import read_snapshot

    snapshot = {
        "probes": [{"name": "error_rate", "unit": "%", "max": 1.0}],
        "abort_when": [{"probe": "error_rate", "above": 5, "for": 2}],
    }
    rules = read_snapshot(snapshot).abort_rules
    assert rules is not None
    assert rules[0].text == rule_text(AbortRule(probe="error_rate", above=5.0, for_samples=2), "%")


def test_facts_are_said_with_kinds_units_and_utc_times_once() -> None:
    assert fault_name("cpu_stress", "f0-ab") == "cpu_stress (f0-ab)"
    assert host_timer_text(0.0) == "the host reverts it by itself at 00:00:00 UTC"
    assert joined_text("facilitator", "facilitator") == "facilitator joined"
    assert joined_text("alice", "observer") == "alice joined as observer"
    crossed = ev.ThresholdCrossed(
        probe="error_rate", value=6.2, bound=5, direction="above", unit="%"
    )
    assert describe(crossed) == "error_rate left its threshold: 6.2%, above 5%"
    # An out-of-bounds sample is said once, by the crossing, not again by the sample.
    assert describe(ev.ProbeSampled(probe="error_rate", value=6.2, ok=False)) is None
    armed = ev.FaultArmed(
        host="web-1", fault_id="f0", kind="cpu_stress", deadline=0.0, timer="setsid"
    )
    assert describe(armed) == (
        "armed cpu_stress (f0) on web-1; the host reverts it by itself at 00:00:00 UTC"
    )


def test_steady_state_words_put_a_breach_before_missing_data() -> None:
    assert steady_word({}) == "WAITING"
    assert steady_word({"a": True, "b": None}) == "NO DATA"
    assert steady_word({"a": False, "b": None}) == "BREACHED"
    assert steady_word({"a": True}) == "HOLDING"
    assert time_left_text(64.2) == "01:05 left"


@pytest.mark.parametrize(
    ("low", "high", "baseline", "expected"),
    [
        (None, 1.0, 0.3, (0.0, 2.0)),  # ≤ 1%: the bound in the middle
        (400.0, None, 520.0, (0.0, 800.0)),  # ≥ 400 req/s: 520 → 457 is no cliff
        (1.0, 5.0, None, (0.0, 7.0)),  # between: the band is the middle half (clipped at 0)
        (None, None, 50.0, (0.0, 100.0)),  # no threshold: twice the baseline
        (None, 1.0, 3.0, (0.0, 3.75)),  # a baseline beyond the scale widens it
    ],
)
def test_the_gauge_scale_comes_from_the_threshold_not_from_the_samples(
    low: float | None, high: float | None, baseline: float | None, expected: tuple[float, float]
) -> None:
    scale = scale_for(low, high, baseline)
    assert (scale.low, scale.high) == pytest.approx(expected)


def test_a_gauge_warns_near_its_bound_and_says_no_data() -> None:
    scale = scale_for(None, 1.0, None)
    assert state_of(0.3, True, None, 1.0, scale) == "ok"
    assert state_of(0.9, True, None, 1.0, scale) == "warn"
    assert state_of(6.7, False, None, 1.0, scale) == "breached"
    assert state_of(None, None, None, 1.0, scale) == "nodata"
    assert scale.off_scale(6.7) and scale.position(6.7, 10) == 9


def _alarm_events() -> list[ev.Event]:
    return [
        ev.AbortTriggered(seq=1, rule="error_rate above 5% for 2 in a row", reason="seen 6"),
        ev.AbortTriggered(seq=2, rule="lease lost", reason="web-1 stopped answering the lease"),
        ev.KillSwitchPulled(seq=3, source="keypress"),
        ev.FaultReverted(seq=4, host="web-2", fault_id="f1", kind="bandwidth", verified=False),
        ev.KillSwitchDone(
            seq=5,
            latency=0.042,
            hosts={"web-1": ev.RevertOutcome.CLEAN, "web-2": ev.RevertOutcome.UNCONFIRMED},
        ),
    ]


def test_every_alarm_kind_is_raised_by_the_fold_with_what_happens_next() -> None:
    state = replay(_alarm_events())
    kinds = {alarm.kind: alarm for alarm in state.alarms.values()}
    assert set(kinds) == {"abort", "lease_lost", "kill_switch", "unconfirmed"}
    assert kinds["abort"].title == "ABORT RULE FIRED" and "(seen 6)" in kinds["abort"].text
    assert kinds["lease_lost"].title == "LEASE LOST"
    # The kill switch's alarm is replaced by its outcome, which names the host not clean.
    kill = kinds["kill_switch"].text
    assert "42 ms" in kill and "web-2: UNCONFIRMED" in kill
    assert "bandwidth (f1) on web-2" in kinds["unconfirmed"].text
    assert all(alarm.next_step for alarm in kinds.values())


def test_a_clean_kill_switch_is_a_calm_alarm() -> None:
    state = SessionState()
    state.apply(ev.KillSwitchDone(seq=1, latency=0.01, hosts={"web-1": ev.RevertOutcome.CLEAN}))
    (alarm,) = state.alarms.values()
    assert not alarm.severe and "web-1: clean" in alarm.text


def test_production_targets_or_many_hosts_need_the_scenario_id_typed(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        "hosts:\n"
        "  web-1: {address: 10.0.0.1, tags: {role: web, env: production}}\n"
        "  web-2: {address: 10.0.0.2, tags: {role: web, env: staging}}\n"
        "prometheus: {url: 'http://127.0.0.1:9090'}\n",
        encoding="utf-8",
    )
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(
        "id: s\ntitle: t\ntargets: {select: {tags: {role: web}}}\n"
        "faults: [{kind: cpu_stress, workers: 1, load: 50}]\n"
        "steady_state: {probes: [{name: errors, prometheus: up, max: 1}]}\n"
        "schedule: {duration: 30s}\n",
        encoding="utf-8",
    )
    plan = build_plan(load_scenario(str(scenario)), load_inventory(str(inventory)))
    assert production_targets(plan) == ["web-1"]
    assert "production (web-1)" in typed_confirmation_reason(plan, typed_over=10)


def test_a_new_alarm_event_plugs_in_with_one_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """How the host-lost event raises its alarm: one entry in ALARM_RULES, nothing else."""
    from dataclasses import dataclass
    from typing import ClassVar

    from gameday.core.session import alarms

    @dataclass(frozen=True, kw_only=True)
    class HostLost(ev.Event):
        type: ClassVar[str] = "host_lost"
        host: str
        silent_for: float
        reverted_by: float

    monkeypatch.setitem(alarms.ALARM_RULES, HostLost, alarms._host_lost)
    state = replay([HostLost(seq=7, host="web-2", silent_for=3.2, reverted_by=0.0)])
    (alarm,) = state.alarms.values()
    assert alarm.title == "HOST LOST" and alarm.kind == "lease_lost"
    assert "web-2 has not answered its lease for 3 s" in alarm.text
    assert "by 00:00:00 UTC" in alarm.next_step


def test_a_fault_unconfirmed_twice_then_confirmed_by_its_lease_is_one_banner_that_calms() -> None:
    state = SessionState()
    for seq in (1, 2):
        state.apply(
            ev.FaultReverted(seq=seq, host="web-2", fault_id="f1", kind="bandwidth", verified=False)
        )
    (alarm,) = state.alarms.values()
    assert alarm.title == "REVERT UNCONFIRMED" and alarm.severe
    state.apply(
        ev.FaultReverted(
            seq=3, host="web-2", fault_id="f1", kind="bandwidth", verified=True, by="lease"
        )
    )
    (alarm,) = state.alarms.values()
    assert alarm.title == "CONFIRMED CLEAN" and not alarm.severe
    assert "reverted by the host's lease" in alarm.text


def test_a_lost_host_and_the_abort_it_causes_raise_one_banner() -> None:
    state = SessionState()
    state.apply(ev.HostLost(seq=1, host="web-2", silent_for=4.2, reverted_by=1_795_900_345.0))
    state.apply(ev.AbortTriggered(seq=2, rule="lease lost", reason="web-2: no answer for 4 s"))
    (alarm,) = state.alarms.values()
    assert alarm.title == "HOST LOST" and "web-2" in alarm.text
