"""docs/journal.md documents every event type and every field that the journal can carry."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from gameday.core.session import events as ev

DOC = (Path(__file__).resolve().parents[2] / "docs" / "journal.md").read_text()


@pytest.mark.parametrize("event_type", sorted(ev.EVENT_TYPES))
def test_every_event_type_and_field_is_documented(event_type: str) -> None:
    row = next((line for line in DOC.splitlines() if line.startswith(f"| `{event_type}` |")), None)
    assert row is not None, f"docs/journal.md has no row for {event_type}"
    for field in dataclasses.fields(ev.EVENT_TYPES[event_type]):
        if field.name not in ("seq", "ts", "actor"):
            assert f"`{field.name}`" in row, f"{event_type}.{field.name} is not documented"
