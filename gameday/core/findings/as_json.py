"""The findings as one JSON document, and the timeline as Grafana annotations.

JSON: the `Findings` data, field for field, under `{"format": "gameday-findings", "version": 1}`.
Every time field (`at`, `started_at`…) is UTC epoch seconds and gets two siblings: `<name>_utc`
(ISO) and `<name>_offset` (seconds from the session's start). Text is plain (not escaped for
Markdown), with secrets already masked.

Grafana: a list of annotation objects for `POST /api/annotations` (`time`/`timeEnd` in epoch
milliseconds, `tags`, `text`): one per timeline entry, plus one region for the fault window.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from gameday.core.findings.model import Findings, Points
from gameday.core.findings.text import utc_iso
from gameday.core.session.events import JSON

FORMAT = "gameday-findings"
VERSION = 1
_TIME_FIELDS = ("at", "started_at", "ended_at", "back_at", "fired_at", "deadline")
_PAIR_FIELDS = ("spared", "params", "schedule", "faults", "hosts")
"""Tuples of (name, value) pairs in the model that read best as JSON objects."""


def render_json(findings: Findings) -> dict[str, JSON]:
    start = findings.started_at or 0.0
    body: dict[str, JSON] = {"format": FORMAT, "version": VERSION}
    converted = _convert(findings, start)
    assert isinstance(converted, dict)
    body.update(converted)
    body["duration"] = findings.duration
    if findings.fault_window is not None:
        w0, w1 = findings.fault_window
        body["fault_window"] = {
            "start": w0,
            "start_utc": utc_iso(w0),
            "start_offset": _round(w0 - start),
            "end": w1,
            "end_utc": utc_iso(w1),
            "end_offset": _round(w1 - start),
            "ends_at": findings.fault_window_end,
        }
    body.pop("fault_window_end", None)
    return body


def _round(value: float) -> float:
    return round(value, 6)


def _convert(value: Any, start: float) -> JSON:
    names = _record_fields(value)
    if names is not None:
        out: dict[str, JSON] = {}
        for name in names:
            item = getattr(value, name)
            if name in _PAIR_FIELDS and _is_pairs(item):
                out[name] = {k: _convert(v, start) for k, v in item}
            else:
                out[name] = _convert(item, start)
            if name in _TIME_FIELDS and isinstance(item, int | float):
                finite = math.isfinite(item)
                out[f"{name}_utc"] = utc_iso(item) if finite else None
                out[f"{name}_offset"] = _round(item - start) if finite else None
        return out
    if isinstance(value, tuple | list | Points):
        return [_convert(v, start) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _record_fields(value: Any) -> tuple[str, ...] | None:
    """The field names of a dataclass or a named tuple (`Point`); None for anything else."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return tuple(f.name for f in dataclasses.fields(value))
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return tuple(value._fields)
    return None


def _is_pairs(value: Any) -> bool:
    return isinstance(value, tuple) and all(
        isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str) for v in value
    )


def render_grafana_annotations(findings: Findings) -> list[dict[str, JSON]]:
    """One annotation per timeline entry and a region for the fault window."""
    session = findings.appendix.session_id
    base_tags: list[JSON] = ["gameday"]
    if session:
        base_tags.append(f"session:{session}")
    out: list[dict[str, JSON]] = []
    if findings.fault_window is not None:
        w0, w1 = findings.fault_window
        out.append(
            {
                "time": _ms(w0),
                "timeEnd": _ms(w1),
                "tags": [*base_tags, "fault-window"],
                "text": f"GameDay fault window: {findings.scenario.title or session}",
            }
        )
    for entry in findings.timeline:
        tags: list[JSON] = [*base_tags, entry.kind]
        if entry.tag:
            tags.append(f"note:{entry.tag}")
        text = entry.text if entry.actor == "system" else f"{entry.actor}: {entry.text}"
        if entry.command:
            text += f" [{entry.command}]"
        out.append({"time": _ms(entry.at), "tags": tags, "text": text})
    return out


def _ms(ts: float) -> int:
    return round(ts * 1000)
