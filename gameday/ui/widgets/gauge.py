"""One steady-state probe: its latest value against its threshold, and a sparkline."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

if TYPE_CHECKING:  # a gauge exists only once a session runs: its imports wait until then
    from gameday.core.formats.probes import Probe

HISTORY = 40


class ProbeGauge(Vertical):
    """Shows "no data" plainly (with the reason) instead of a stale number."""

    DEFAULT_CSS = """
    ProbeGauge { height: 4; border: round $secondary; padding: 0 1; }
    ProbeGauge.-ok { border: round $success; }
    ProbeGauge.-breach { border: round $error; }
    ProbeGauge.-nodata { border: round $warning; }
    ProbeGauge > .gauge--line { height: 1; }
    ProbeGauge > Sparkline { height: 1; }
    """

    def __init__(self, probe: Probe, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.probe = probe
        self.history: deque[float] = deque(maxlen=HISTORY)
        """Recent values (no-data polls are left out of the line)."""
        self.state = "waiting"
        """waiting | ok | breach | nodata."""
        self.border_title = probe.name

    def compose(self) -> ComposeResult:
        yield Static(self._line(None, "waiting for the first sample"), classes="gauge--line")
        yield Sparkline([], summary_function=max)

    def add(self, value: float | None, ok: bool | None, detail: str = "") -> None:
        """Show a new sample (None: no data, with `detail` as the reason)."""
        if value is None:
            self.state = "nodata"
            text = "no data" + (f": {detail}" if detail else "")
        else:
            self.history.append(value)
            self.state = "ok" if ok else "breach"
            text = "within threshold" if ok else "OUT OF THRESHOLD"
        self.set_class(self.state == "ok", "-ok")
        self.set_class(self.state == "breach", "-breach")
        self.set_class(self.state == "nodata", "-nodata")
        self.query_one(".gauge--line", Static).update(self._line(value, text))
        self.query_one(Sparkline).data = list(self.history)

    def _line(self, value: float | None, state: str) -> str:
        unit = f" {self.probe.unit}" if self.probe.unit else ""
        shown = "—" if value is None else f"{value:.4g}{unit}"
        from gameday.core.steady import describe_bounds

        return f"{shown:>14}   limit {describe_bounds(self.probe)}   {state}"
