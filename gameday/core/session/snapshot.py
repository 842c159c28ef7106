"""A scenario as plain JSON, for the journal's first line (`SessionStarted.scenario`).

Read back, typed, by `gameday.core.findings.snapshot.read_snapshot`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from gameday.core.formats.scenario import Scenario
from gameday.core.session.events import JSON
from gameday.core.session.journal import redact

_LEFT_OUT = {"line", "file", "sha256"}


def scenario_snapshot(scenario: Scenario) -> dict[str, JSON]:
    """Faults (kind + parameters), probes, abort rules, schedule and rollback, redacted."""
    body = _plain(scenario)
    assert isinstance(body, dict)
    faults = body.get("faults")
    if isinstance(faults, list):
        for fault, spec in zip(faults, scenario.faults, strict=False):
            if isinstance(fault, dict):
                fault["kind"] = spec.kind
    return body


def _plain(value: Any) -> JSON:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in _LEFT_OUT
        }
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list | frozenset | set):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))
