"""Thresholds and abort rules: when a sample holds, when an abort fires, and what it says."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from gameday.core.formats.probes import Probe
from gameday.core.formats.scenario import AbortRule
from gameday.core.steady import AbortTracker, describe_bounds, evaluate


def _probe(**kw: object) -> Probe:
    return Probe(name="error_rate", kind="prometheus", query="x", **kw)  # type: ignore[arg-type]


# -- evaluate ------------------------------------------------------------------------------


def test_value_within_inclusive_bounds_holds() -> None:
    probe = _probe(min=1.0, max=5.0)
    assert evaluate(probe, 1.0) is True
    assert evaluate(probe, 5.0) is True
    assert evaluate(probe, 3.0) is True


def test_value_outside_bounds_deviates() -> None:
    probe = _probe(min=1.0, max=5.0)
    assert evaluate(probe, 0.999) is False
    assert evaluate(probe, 5.001) is False


def test_no_value_and_nan_are_no_verdict_never_a_pass() -> None:
    probe = _probe(max=1.0)
    assert evaluate(probe, None) is None
    assert evaluate(probe, math.nan) is None


def test_infinity_is_outside_a_bound_on_its_side() -> None:
    assert evaluate(_probe(max=1.0), math.inf) is False
    assert evaluate(_probe(min=1.0), -math.inf) is False
    assert evaluate(_probe(min=1.0), math.inf) is True


@given(st.floats(allow_nan=False), st.floats(allow_nan=False), st.floats(allow_nan=False))
def test_evaluate_agrees_with_the_plain_comparison(lo: float, hi: float, value: float) -> None:
    probe = _probe(min=lo, max=hi)
    assert evaluate(probe, value) is (lo <= value <= hi)


def test_bounds_are_described_in_words() -> None:
    assert describe_bounds(_probe(max=300.0, unit="ms")) == "≤ 300 ms"
    assert describe_bounds(_probe(min=99.5, unit="%")) == "≥ 99.5%"
    assert describe_bounds(_probe(min=1.0, max=5.0)) == "between 1 and 5"
    assert describe_bounds(_probe()) == "no threshold"


# -- abort rules: breaches -----------------------------------------------------------------


def test_rule_fires_on_the_second_breach_in_a_row_with_a_readable_reason() -> None:
    tracker = AbortTracker([AbortRule(probe="error_rate", above=5.0, for_samples=2)])
    assert tracker.observe({"error_rate": 6.2}) is None
    firing = tracker.observe({"error_rate": 7.9})
    assert firing is not None
    assert firing.reason == "error_rate above 5 for 2 samples in a row (6.2, 7.9)"


def test_single_sample_rule_reason_names_the_value() -> None:
    tracker = AbortTracker([AbortRule(probe="success", below=99.0, for_samples=1)])
    firing = tracker.observe({"success": 97.5})
    assert firing is not None
    assert firing.reason == "success below 99 (97.5)"


def test_value_equal_to_the_limit_is_not_a_breach() -> None:
    tracker = AbortTracker([AbortRule(probe="error_rate", above=5.0, for_samples=1)])
    assert tracker.observe({"error_rate": 5.0}) is None


def test_a_good_sample_between_breaches_resets_the_count() -> None:
    tracker = AbortTracker([AbortRule(probe="error_rate", above=5.0, for_samples=2)])
    assert tracker.observe({"error_rate": 9.0}) is None
    assert tracker.observe({"error_rate": 1.0}) is None
    assert tracker.observe({"error_rate": 9.0}) is None
    assert tracker.observe({"error_rate": 9.0}) is not None


def test_a_poll_without_data_neither_counts_nor_resets_a_breach_streak() -> None:
    tracker = AbortTracker([AbortRule(probe="error_rate", above=5.0, for_samples=2)])
    assert tracker.observe({"error_rate": 9.0}) is None
    assert tracker.observe({"error_rate": None}) is None
    firing = tracker.observe({"error_rate": 8.0})
    assert firing is not None
    assert "(9, 8)" in firing.reason


def test_other_probes_do_not_move_a_rule() -> None:
    tracker = AbortTracker([AbortRule(probe="error_rate", above=5.0, for_samples=1)])
    assert tracker.observe({"latency": 900.0}) is None


def test_first_rule_in_scenario_order_is_reported() -> None:
    rules = [
        AbortRule(probe="latency", above=300.0, for_samples=1),
        AbortRule(probe="error_rate", above=5.0, for_samples=1),
    ]
    firing = AbortTracker(rules).observe({"error_rate": 9.0, "latency": 400.0})
    assert firing is not None
    assert firing.rule is rules[0]


@st.composite
def _breach_run(draw: st.DrawFn) -> tuple[int, list[float]]:
    needed = draw(st.integers(min_value=1, max_value=6))
    values = draw(
        st.lists(
            st.one_of(st.floats(0, 4.99), st.floats(5.01, 1e6)),
            min_size=0,
            max_size=40,
        )
    )
    return needed, values


@given(_breach_run())
def test_fires_exactly_at_the_nth_consecutive_breach_and_never_before(
    case: tuple[int, list[float]],
) -> None:
    needed, values = case
    tracker = AbortTracker([AbortRule(probe="p", above=5.0, for_samples=needed)])
    streak = 0
    for value in values:
        streak = streak + 1 if value > 5.0 else 0
        firing = tracker.observe({"p": value})
        if streak == needed:
            assert firing is not None
            streak = 0  # the count starts again after firing
        else:
            assert firing is None


@given(st.integers(2, 6), st.integers(0, 5), st.floats(0, 5))
def test_any_non_breach_before_the_nth_resets(needed: int, before: int, good: float) -> None:
    before = min(before, needed - 1)
    tracker = AbortTracker([AbortRule(probe="p", above=5.0, for_samples=needed)])
    for _ in range(before):
        assert tracker.observe({"p": 10.0}) is None
    assert tracker.observe({"p": good}) is None
    for _ in range(needed - 1):
        assert tracker.observe({"p": 10.0}) is None
    assert tracker.observe({"p": 10.0}) is not None


# -- abort rules: no data -------------------------------------------------------------------


def test_no_data_rule_fires_after_n_empty_polls_with_the_reason() -> None:
    tracker = AbortTracker([AbortRule(no_data=3)])
    empty = {"error_rate": None}
    details = {"error_rate": "empty result"}
    assert tracker.observe(empty, details) is None
    assert tracker.observe(empty, details) is None
    firing = tracker.observe(empty, details)
    assert firing is not None
    assert firing.reason == "no data from error_rate for 3 polls in a row (empty result)"


def test_a_sample_with_data_resets_the_no_data_count() -> None:
    tracker = AbortTracker([AbortRule(no_data=2)])
    assert tracker.observe({"a": None}) is None
    assert tracker.observe({"a": 1.0}) is None
    assert tracker.observe({"a": None}) is None
    assert tracker.observe({"a": None}) is not None


def test_no_data_for_any_probe_counts_each_probe_separately() -> None:
    tracker = AbortTracker([AbortRule(no_data=2)])
    # a and b take turns being empty: neither has two empty polls in a row
    assert tracker.observe({"a": None, "b": 1.0}) is None
    assert tracker.observe({"a": 1.0, "b": None}) is None
    assert tracker.observe({"a": None, "b": 1.0}) is None
    firing = tracker.observe({"a": None, "b": 2.0})
    assert firing is not None
    assert "no data from a" in firing.reason


def test_no_data_rule_for_one_probe_ignores_the_others() -> None:
    tracker = AbortTracker([AbortRule(probe="a", no_data=1)])
    assert tracker.observe({"a": 1.0, "b": None}) is None
    assert tracker.observe({"a": None, "b": 1.0}) is not None


def test_nan_counts_as_no_data() -> None:
    tracker = AbortTracker([AbortRule(probe="a", no_data=1)])
    assert tracker.observe({"a": math.nan}) is not None


@given(st.integers(1, 5), st.lists(st.booleans(), max_size=30))
def test_no_data_fires_exactly_at_the_nth_consecutive_gap(needed: int, gaps: list[bool]) -> None:
    tracker = AbortTracker([AbortRule(probe="p", no_data=needed)])
    run = 0
    for gap in gaps:
        run = run + 1 if gap else 0
        firing = tracker.observe({"p": None if gap else 1.0})
        if run == needed:
            assert firing is not None
            run = 0
        else:
            assert firing is None


def test_reset_forgets_counts() -> None:
    tracker = AbortTracker([AbortRule(probe="p", above=1.0, for_samples=2)])
    assert tracker.observe({"p": 5.0}) is None
    tracker.reset()
    assert tracker.observe({"p": 5.0}) is None
