"""A series as one line of block characters (▁▂▃▄▅▆▇█), for readers of plain text.

A missing value is a space, so a gap in the data is a gap in the line. Long series are folded
into at most `width` columns; each column shows the worst value of its samples (the highest, or
the lowest when `worst="low"`), because a spike that a mean would hide is what a GameDay is for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, cast

BLOCKS = "▁▂▃▄▅▆▇█"
GAP = " "

Worst = Literal["high", "low"]


def fold(values: Sequence[float | None], width: int, worst: Worst = "high") -> list[float | None]:
    """At most `width` values; column i holds the worst value of its share of the samples."""
    if width < 1:
        raise ValueError("width must be at least 1")
    if len(values) <= width:
        return list(values)
    columns: list[float | None] = []
    for i in range(width):
        start = i * len(values) // width
        end = (i + 1) * len(values) // width
        chunk = values[start:end]
        present: Sequence[float]
        if None not in chunk and all(map(math.isfinite, chunk)):  # type: ignore[arg-type]
            present = cast("Sequence[float]", chunk)  # every poll had a value: no copy
        else:
            present = [v for v in chunk if v is not None and math.isfinite(v)]
        if not present:
            columns.append(None)
        else:
            columns.append(max(present) if worst == "high" else min(present))
    return columns


def sparkline(
    values: Sequence[float | None],
    width: int = 60,
    worst: Worst = "high",
    low: float | None = None,
    high: float | None = None,
) -> str:
    """One character per column; `low`/`high` fix the scale (default: the data's own range)."""
    columns = fold(values, width, worst)
    present = [v for v in columns if v is not None and math.isfinite(v)]
    if not present:
        return GAP * len(columns)
    bottom = min(present) if low is None else low
    top = max(present) if high is None else high
    chars = []
    for value in columns:
        if value is None or not math.isfinite(value):
            chars.append(GAP)
        elif top <= bottom:
            chars.append(BLOCKS[len(BLOCKS) // 2 - 1])
        else:
            ratio = (min(max(value, bottom), top) - bottom) / (top - bottom)
            chars.append(BLOCKS[min(len(BLOCKS) - 1, int(ratio * len(BLOCKS)))])
    return "".join(chars)


def marker(flags: Sequence[bool], width: int = 60, mark: str = "^", blank: str = "·") -> str:
    """A line under a sparkline: `mark` under the columns where any folded flag is true."""
    if len(flags) <= width:
        return "".join(mark if f else blank for f in flags)
    out = []
    for i in range(width):
        start = i * len(flags) // width
        end = (i + 1) * len(flags) // width
        out.append(mark if any(flags[start:end]) else blank)
    return "".join(out)
