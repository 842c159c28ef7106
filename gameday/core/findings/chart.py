"""Pictures of a probe's series: a Mermaid `xychart-beta` block and a plain-text sparkline.

Mermaid's grammar (xychart.jison) is strict: numbers have no exponent, quoted strings cannot
hold `"`, and every series must have one value per x-axis label. xychart has no gaps, so polls
without data are left out of the chart (the sparkline shows them as gaps). The fault window is
drawn as a bar series that fills the plot's height where the fault was active.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from gameday.core.findings.model import Points, ProbeFindings
from gameday.core.findings.text import count, number, offset, plain, plain_number
from gameday.core.sparkline import Worst, marker, sparkline

MAX_POINTS = 40
SPARK_WIDTH = 60


def _worst(probe: ProbeFindings) -> Worst:
    return "low" if probe.min is not None and probe.max is None else "high"


def _fold_points(points: Points, width: int, worst: Worst) -> list[tuple[float, float, bool]]:
    """(time of the column's first point, its worst value, any point in the fault window)."""
    at, values, windows = _present(points)
    n = len(values)
    if n <= width:
        return [(at[i], float(values[i] or 0.0), windows[i] == "during") for i in range(n)]
    pick = max if worst == "high" else min
    columns = []
    for i in range(width):
        start, end = i * n // width, (i + 1) * n // width
        columns.append((at[start], float(pick(values[start:end])), "during" in windows[start:end]))
    return columns


def _present(points: Points) -> tuple[Sequence[float], Sequence[float], Sequence[str]]:
    """The columns of the polls that have a finite value."""
    values = points.value
    if None not in values and all(map(math.isfinite, values)):  # type: ignore[arg-type]
        return points.at, values, points.window  # type: ignore[return-value]
    keep = [v is not None and math.isfinite(v) for v in values]
    return (
        list(itertools.compress(points.at, keep)),
        list(itertools.compress(values, keep)),  # type: ignore[arg-type]
        list(itertools.compress(points.window, keep)),
    )


def _unique_labels(columns: Sequence[tuple[float, float, bool]], start: float) -> list[str]:
    """`T+mm:ss` per column; a repeat gets ` (2)`, ` (3)`…, since Mermaid merges equal bands."""
    seen: dict[str, int] = {}
    labels = []
    for at, _, _ in columns:
        label = offset(at - start)
        seen[label] = seen.get(label, 0) + 1
        labels.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return labels


def mermaid_chart(probe: ProbeFindings, start: float, window: tuple[float, float] | None) -> str:
    """An `xychart-beta` block body (without the ``` fence), or "" when no sample has a value."""
    columns = _fold_points(probe.points, MAX_POINTS, _worst(probe))
    if not columns:
        return ""
    values = [v for _, v, _ in columns]
    bounds = [b for b in (probe.min, probe.max) if b is not None]
    low, high = min([*values, *bounds]), max([*values, *bounds])
    pad = (high - low) * 0.05 or abs(high) * 0.05 or 1.0
    low = 0.0 if low >= 0 else low - pad
    high = high + pad
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        return ""  # values at the edge of what a float holds: no honest chart to draw
    low_text, high_text = plain_number(low), plain_number(high)
    if float(high_text) <= float(low_text):  # a range finer than the printed precision
        high_text = plain_number(float(low_text) + 1.0)
    labels = ", ".join(f'"{label}"' for label in _unique_labels(columns, start))
    title = f"{probe.name}"
    if window is not None:
        title += f" - fault window {offset(window[0] - start)} to {offset(window[1] - start)}"
    unit = {"": "value", "%": "percent"}.get(probe.unit, probe.unit)
    lines = [
        "xychart-beta",
        f'    title "{plain(title)}"',
        f'    x-axis "time from start (T+mm:ss)" [{labels}]',
        f'    y-axis "{plain(unit)}" {low_text} --> {high_text}',
    ]
    if window is not None:
        bars = ", ".join(high_text if inside else low_text for _, _, inside in columns)
        lines.append(f"    bar [{bars}]")
    lines.append(f"    line [{', '.join(plain_number(v) for v in values)}]")
    for bound in bounds:
        lines.append(f"    line [{', '.join(plain_number(bound) for _ in columns)}]")
    return "\n".join(lines)


def chart_legend(probe: ProbeFindings, window: tuple[float, float] | None) -> str:
    parts = []
    if window is not None:
        parts.append("bars: the fault window")
    parts.append(f"first line: {probe.name}")
    bounds = [
        f"{name} {plain_number(b)}"
        for name, b in (("min", probe.min), ("max", probe.max))
        if b is not None
    ]
    if bounds:
        parts.append(f"flat line: the threshold ({', '.join(bounds)})")
    missing = list(probe.points.value).count(None)
    present = len(probe.points) - missing
    if present > MAX_POINTS:
        worst = "lowest" if _worst(probe) == "low" else "highest"
        parts.append(f"each point is the {worst} of about {present // MAX_POINTS} samples")
    if missing:
        parts.append(f"{count(missing, 'poll')} without data not drawn")
    return "; ".join(parts)


def spark_lines(probe: ProbeFindings, window: tuple[float, float] | None) -> tuple[str, str]:
    """The sparkline (with its scale) and, under it, `^` where the fault was active.

    The scale is the chart's: from 0 (or the lowest value, if negative) to the highest of the
    values and the thresholds, so a series well inside its threshold stays low.
    """
    values = list(probe.points.value)
    present = _present(probe.points)[1]
    bounds = [b for b in (probe.min, probe.max) if b is not None]
    if not present:
        return sparkline(values, SPARK_WIDTH), ""
    low = min([0.0, *present])
    high = max([*present, *bounds])
    line = sparkline(values, SPARK_WIDTH, _worst(probe), low=low, high=high)
    line += f"  ({number(low, probe.unit)} to {number(high, probe.unit)})"
    during = [w == "during" for w in probe.points.window]
    under = marker(during, SPARK_WIDTH) if window else ""
    return line, under
