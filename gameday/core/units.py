"""Durations (`30s`, `5m`, `1h30m`, `250ms`) and sizes (`512M`, `2G`, `64KiB`).

A bare number is refused for both: `duration: 30` could mean seconds or minutes, and in a tool
that breaks production on purpose that guess is not ours to make.
"""

from __future__ import annotations

import re

_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(i?B?)", re.IGNORECASE)
_SIZE_POWERS = {"": 0, "K": 1, "M": 2, "G": 3, "T": 4}


def parse_duration(text: str) -> float:
    """Seconds in a duration such as `30s`, `5m`, `1h30m`, `1.5s` or `250ms`."""
    value = text.strip().lower()
    if not value:
        raise ValueError("expected a duration such as 30s, 5m or 1h")
    if re.fullmatch(r"\d+(\.\d+)?", value):
        raise ValueError(f"{text!r} has no unit: write {value}s or {value}m")
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(value):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    if pos != len(value):
        raise ValueError(f"{text!r} is not a duration (use ms, s, m, h or d: 30s, 5m, 1h30m)")
    return total


def parse_size(text: str) -> int:
    """Bytes in a size such as `512M`, `2G`, `64KiB`, `1.5G` or `4096B` (binary multiples)."""
    value = text.strip()
    match = _SIZE.fullmatch(value)
    if not match or (not match.group(2) and not match.group(3)):
        raise ValueError(f"{text!r} is not a size (use B, K, M, G or T: 512M, 2G, 64KiB)")
    if match.group(3).lower() == "i":
        raise ValueError(f"{text!r} is not a size (did you mean {value}B?)")
    number = float(match.group(1))
    return int(number * 1024 ** _SIZE_POWERS[match.group(2).upper()])


def format_duration(seconds: float) -> str:
    """A short human form: `250ms`, `30s`, `5m`, `1h30m`."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    whole = round(seconds)
    if abs(seconds - whole) > 1e-9 and seconds < 60:
        return f"{seconds:g}s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
        f"{secs}s" if secs else "",
    ]
    return "".join(parts) or "0s"


def format_size(size: int) -> str:
    """A short binary form: `512M`, `2G`, `1536K`, `100B`."""
    for unit, power in (("T", 4), ("G", 3), ("M", 2), ("K", 1)):
        if size and size % 1024**power == 0:
            return f"{size // 1024**power}{unit}"
    return f"{size}B"
