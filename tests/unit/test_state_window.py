"""The session state keeps a bounded window of each probe's samples, and the baseline with it."""

from __future__ import annotations

import pytest

from gameday.core.session import events as ev
from gameday.core.session.state import SessionState, replay


def _sampled(seq: int, value: float, phase: ev.Phase) -> ev.ProbeSampled:
    return ev.ProbeSampled(seq=seq, ts=float(seq), probe="p95", value=value, ok=True, phase=phase)


def _session(monkeypatch: pytest.MonkeyPatch, baseline: int, monitor: int) -> SessionState:
    monkeypatch.setattr("gameday.core.session.state.SAMPLES_KEPT", 5)
    events = [_sampled(i, 100.0 + i, "baseline") for i in range(1, baseline + 1)]
    events += [_sampled(i, 1.0, "monitor") for i in range(baseline + 1, baseline + monitor + 1)]
    return replay(events)


def test_hours_of_polls_keep_only_the_latest_and_the_baseline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = _session(monkeypatch, baseline=3, monitor=1000).samples["p95"]
    assert [s.value for s in window] == [101.0, 102.0, 103.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    assert window[-1].phase == "monitor" and window[0].value == 101.0
    assert [s.value for s in window[2:4]] == [103.0, 1.0]
    assert state_latest(_session(monkeypatch, baseline=3, monitor=1000)) == 1.0


def test_a_long_baseline_is_kept_up_to_the_window_size(monkeypatch: pytest.MonkeyPatch) -> None:
    window = _session(monkeypatch, baseline=50, monitor=50).samples["p95"]
    assert len(window) == 10
    assert [s.value for s in window][:5] == [101.0, 102.0, 103.0, 104.0, 105.0]


def state_latest(state: SessionState) -> float | None:
    latest = state.latest("p95")
    return latest.value if latest else None
