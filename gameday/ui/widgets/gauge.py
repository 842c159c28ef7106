"""One steady-state probe on a fixed scale: its latest value and state in words and colour, the
baseline beside it, a bar with the threshold marked, and the recent samples.

The scale comes from the threshold and the baseline (`gameday.core.gauge`), never from the
samples' own range. With room (three lines or more) the gauge draws a bar and a history; on one
line (the console at 80x24) it draws a compact bar. "No data" is said, never drawn as a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widget import Widget

from gameday.core.gauge import GaugeState, Scale, baseline_of, scale_for, state_of
from gameday.core.wording import probe_bounds, probe_state_word, quantity

if TYPE_CHECKING:  # types only
    from gameday.core.formats.probes import Probe
    from gameday.core.session.state import Sample

STYLES: dict[GaugeState, str] = {
    "waiting": "dim",
    "ok": "bold green",
    "warn": "bold yellow",
    "breached": "bold white on red",
    "nodata": "bold black on yellow",
}
BAR_STYLES: dict[GaugeState, str] = {
    "waiting": "dim",
    "ok": "green",
    "warn": "yellow",
    "breached": "red",
    "nodata": "yellow",
}
WORDS: dict[GaugeState, str] = {
    "waiting": "waiting",
    "ok": "ok",
    "warn": "ok, near the bound",
    "breached": "BREACHED",
    "nodata": "NO DATA",
}
EIGHTHS = " ▁▂▃▄▅▆▇█"
MARK = "┃"
BASELINE_PHASES = ("preflight", "baseline", "warmup")


class ProbeGauge(Widget):
    DEFAULT_CSS = """
    ProbeGauge { height: 1fr; min-height: 4; padding: 0 1; }
    """

    def __init__(self, probe: Probe, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.probe = probe
        self.samples: Sequence[Sample] = ()
        """The probe's samples, from the session's state (newest last)."""
        self.state: GaugeState = "waiting"
        self.over = False
        """True once the session has ended: no sample is coming any more."""

    def show(self, samples: Sequence[Sample]) -> None:
        """Render the probe's samples (the session state's list; not copied, not changed)."""
        self.samples = samples
        latest = samples[-1] if samples else None
        value = latest.value if latest else None
        self.state = (
            "waiting"
            if latest is None
            else state_of(value, latest.ok, self.probe.min, self.probe.max, self.scale)
        )
        self.refresh()

    def end(self) -> None:
        """The session has ended: a gauge never sampled no longer says it is waiting."""
        self.over = True
        self.refresh()

    @property
    def baseline(self) -> float | None:
        before = [s.value for s in self.samples if s.phase in BASELINE_PHASES]
        return baseline_of([v for v in before if v is not None])

    @property
    def scale(self) -> Scale:
        return scale_for(self.probe.min, self.probe.max, self.baseline)

    def render(self) -> Text:
        width = max(10, self.size.width)
        if self.size.height < 3:
            return self._compact(width)
        lines = [self._headline(), self._bar(width, with_labels=True)]
        rows = self.size.height - 2
        lines += self._history(width, rows)
        return Text("\n").join(lines)

    # --- pieces -------------------------------------------------------------------------------
    def _word(self) -> str:
        if self.over and not self.samples:  # nothing is coming: not "waiting"
            return probe_state_word(None, sampled=False, over=True)
        return WORDS[self.state]

    def _value_text(self) -> str:
        latest = self.samples[-1] if self.samples else None
        if latest is None:
            return "—"
        return quantity(latest.value, self.probe.unit)

    def _headline(self) -> Text:
        """`error_rate  1.38%  BREACHED  baseline 0.29%  holds when ≤ 1%`, cut to one line."""
        state = self.state
        line = Text(self.probe.name, style="bold")
        line.append("  ")
        line.append(f" {self._value_text()} ", style=STYLES[state])
        line.append(f"  {self._word()}", style=STYLES[state] if state != "ok" else "")
        detail = self.samples[-1].detail if self.samples else ""
        if state == "nodata" and detail:
            line.append(f" ({detail})", style="yellow")
        baseline = self.baseline
        if baseline is not None:
            line.append(f"  baseline {quantity(baseline, self.probe.unit)}", style="dim")
        line.append(f"  holds when {probe_bounds(self.probe)}", style="dim")
        line.truncate(max(10, self.size.width), overflow="ellipsis")
        return line

    def _compact(self, width: int) -> Text:
        """`error_rate 0.3% ok (base 0.2%) ▕██┃░░▏`: what a room must read comes first, so a
        narrow gauge loses its bar, then its baseline, never its state."""
        latest = self.samples[-1] if self.samples else None
        word = probe_state_word(
            latest.ok if latest else None, sampled=latest is not None, over=self.over
        )
        baseline = self.baseline
        line = Text(self.probe.name[:16], style="bold")
        line.append(" ")
        line.append(self._value_text(), style=STYLES[self.state])
        line.append(" ")
        line.append(word, style=STYLES[self.state])
        if baseline is not None:
            base = f" (base {quantity(baseline, self.probe.unit)})"
            if line.cell_len + len(base) <= width:  # whole or not at all, never cut mid-word
                line.append(base, style="dim")
        room = width - line.cell_len - 1
        if room >= 6:
            line.append(" ")
            line.append_text(self._bar(room, with_labels=False))
        line.truncate(width)
        return line

    def _bar(self, width: int, *, with_labels: bool) -> Text:
        """`0 ms ▕█████░░░┃░░░░▏ 600 ms`: filled up to the latest value, the bound marked."""
        scale, unit = self.scale, self.probe.unit
        left = f"{quantity(scale.low, unit)} " if with_labels else ""
        right = f" {quantity(scale.high, unit)}" if with_labels else ""
        inner = max(4, width - len(left) - len(right) - 2)
        latest = self.samples[-1] if self.samples else None
        value = latest.value if latest else None
        cells = ["░"] * inner
        if value is not None:
            filled = scale.position(value, inner)
            for i in range(filled + 1):
                cells[i] = "█"
            if scale.off_scale(value):
                cells[filled] = "▶" if value > scale.high else "◀"
        marks = [
            scale.position(b, inner) for b in (self.probe.min, self.probe.max) if b is not None
        ]
        text = Text(left, style="dim")
        text.append("▕", style="dim")
        for i, cell in enumerate(cells):
            if i in marks:
                text.append(MARK, style="bold white")
            else:
                text.append(cell, style=BAR_STYLES[self.state] if cell != "░" else "dim")
        text.append("▏", style="dim")
        text.append(right, style="dim")
        return text

    def _history(self, width: int, rows: int) -> list[Text]:
        """The latest samples, one column each, on the same scale, threshold as a dotted row."""
        if rows < 1:
            return []
        scale = self.scale
        recent = list(self.samples)[-width:]
        levels = rows * 8
        bounds = [b for b in (self.probe.min, self.probe.max) if b is not None]
        bound_rows = {rows - 1 - _level(scale, b, levels) // 8 for b in bounds}
        lines = []
        for row in range(rows):
            line = Text()
            floor = (rows - 1 - row) * 8
            for sample in recent:
                if sample.value is None:
                    line.append("?" if row == rows - 1 else " ", style="yellow")
                    continue
                fill = _level(scale, sample.value, levels) - floor
                style = "green" if sample.ok else "red"
                if fill >= 8:
                    line.append("█", style=style)
                elif fill > 0:
                    line.append(EIGHTHS[fill], style=style)
                elif row in bound_rows:
                    line.append("┈", style="dim")
                else:
                    line.append(" ")
            if row in bound_rows:
                line.append("┈" * (width - len(recent)), style="dim")
            lines.append(line)
        return lines


def _level(scale: Scale, value: float, levels: int) -> int:
    """How many eighths of the history's height a value fills (at least one when on scale)."""
    if scale.high <= scale.low:
        return 0
    ratio = (value - scale.low) / (scale.high - scale.low)
    return min(levels, max(1, round(ratio * levels)))
