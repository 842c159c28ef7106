"""A one-line gauge (below 34 rows) at 80 columns: what does not fit is left out whole, never
cut in the middle of a word (`(base 160.9 ms` without its bracket reads as a typo to a room)."""

from __future__ import annotations

from textual.app import App, ComposeResult

from gameday.core.formats.probes import Probe
from gameday.core.session.state import Sample
from gameday.ui.widgets.gauge import ProbeGauge
from tests.ui.conftest import in_loop

LATENCY = Probe(name="p95_latency", kind="prometheus", query="q", max=400.0, unit="ms")


class OneGauge(App[None]):
    CSS = "ProbeGauge { height: 1; min-height: 1; padding: 0 0; width: 38; }"

    def compose(self) -> ComposeResult:
        yield ProbeGauge(LATENCY)


def _samples(*values: float) -> list[Sample]:
    return [
        Sample(ts=float(i), value=v, ok=v <= 400, phase="baseline" if i < 2 else "monitor")
        for i, v in enumerate(values)
    ]


@in_loop
async def test_a_narrow_one_line_gauge_drops_its_baseline_whole_and_keeps_its_state() -> None:
    app = OneGauge()
    async with app.run_test(size=(80, 5)) as pilot:
        gauge = app.query_one(ProbeGauge)
        gauge.show(_samples(160.9, 160.9, 154.6))
        await pilot.pause()
        shown = gauge.render().plain
    assert shown.startswith("p95_latency 154.6 ms ok"), shown
    assert "(base" not in shown or "(base 160.9 ms)" in shown, shown
    assert len(shown) <= 38
