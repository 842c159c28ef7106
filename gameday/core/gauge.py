"""The fixed scale of a probe's gauge, chosen from its threshold (and its baseline), never from
the samples' own minimum and maximum: 520 → 457 req/s must not look like a cliff, and a value
six times its limit must not look like noise.

- `≤ T` or `≥ T`: from 0 to 2·T, so the threshold sits in the middle;
- `between A and B`: from A − (B − A)/2 to B + (B − A)/2, so the band is the middle half;
- no threshold: from 0 to 2 × the baseline (or to the first value seen);
- the scale always starts at 0 for a threshold of 0 or more and grows (once, never back) to
  hold the baseline: a value beyond it is drawn at the edge with an off-scale mark.

`state_of` is the gauge's colour in words: ok, warn (within the bound but in the last tenth of
the scale before it), breached, no data.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

GaugeState = Literal["waiting", "ok", "warn", "breached", "nodata"]

WARN_SHARE = 0.1
"""Within this share of the scale from a bound (on the good side), a value is shown as warn."""


@dataclass(frozen=True)
class Scale:
    low: float
    high: float

    def position(self, value: float, width: int) -> int:
        """The column (0 … width-1) of a value; values beyond the scale are at an edge."""
        if width <= 1 or self.high <= self.low:
            return 0
        ratio = (value - self.low) / (self.high - self.low)
        return min(width - 1, max(0, round(ratio * (width - 1))))

    def off_scale(self, value: float) -> bool:
        return value < self.low or value > self.high


def scale_for(low: float | None, high: float | None, baseline: float | None) -> Scale:
    """The gauge's scale (see the module docstring)."""
    if low is not None and high is not None and high > low:
        margin = (high - low) / 2
        bottom, top = low - margin, high + margin
        if low >= 0:
            bottom = max(0.0, bottom)
    else:
        bound = high if high is not None else low
        if bound is not None and bound > 0:
            bottom, top = 0.0, 2 * bound
        elif bound is not None:  # a bound at or below zero: centre it on a span of 1 or |2T|
            span = max(1.0, abs(2 * bound))
            bottom, top = bound - span / 2, bound + span / 2
        else:
            reference = abs(baseline) if baseline else 1.0
            bottom, top = 0.0, 2 * reference
    if baseline is not None and baseline > top:
        top = baseline * 1.25
    if baseline is not None and baseline < bottom:
        bottom = baseline - (top - bottom) * 0.25
    return Scale(bottom, top)


def baseline_of(values: Sequence[float]) -> float | None:
    """The median of the samples taken before anything was injected (None when there are none)."""
    return statistics.median(values) if values else None


def state_of(
    value: float | None, ok: bool | None, low: float | None, high: float | None, scale: Scale
) -> GaugeState:
    if value is None or ok is None:
        return "nodata"
    if not ok:
        return "breached"
    near = (scale.high - scale.low) * WARN_SHARE
    if high is not None and value >= high - near:
        return "warn"
    if low is not None and value <= low + near:
        return "warn"
    return "ok"
