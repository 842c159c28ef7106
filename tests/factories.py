"""Events for tests, with defaults for every field a test does not care about.

started(scenario={"probes": [...]})       a SessionStarted
"""

from __future__ import annotations

from typing import Any

from gameday.core.session import events as ev


def started(**fields: Any) -> ev.SessionStarted:
    """A `SessionStarted` for session "s" of scenario "s"; keyword arguments override."""
    defaults: dict[str, Any] = {
        "session_id": "s",
        "scenario_id": "s",
        "scenario_title": "t",
        "scenario_file": "f",
        "scenario_sha256": "",
        "hypothesis": "",
        "inventory_file": "i.yaml",
    }
    return ev.SessionStarted(**{**defaults, **fields})
