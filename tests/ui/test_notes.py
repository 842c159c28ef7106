"""The note box's little language: tags, owners and due dates."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gameday.ui.notes import TAGS, NoteDraft, NoteError, parse_note


def test_plain_text_is_a_note() -> None:
    assert parse_note("  db failover took   40s ") == NoteDraft("db failover took 40s")


@pytest.mark.parametrize("tag", [t for t in TAGS if t != "action"])
def test_a_bang_prefix_sets_the_tag(tag: str) -> None:
    assert parse_note(f"!{tag} something happened") == NoteDraft("something happened", tag)  # type: ignore[arg-type]


def test_tags_may_be_written_with_a_dash() -> None:
    assert parse_note("!went-well traffic moved").tag == "went_well"


def test_an_action_item_takes_an_owner_and_a_due_date_anywhere() -> None:
    assert parse_note("!action write the runbook @bob due:2026-12-04") == NoteDraft(
        "write the runbook", "action", "bob", "2026-12-04"
    )
    assert parse_note("!action @alice fix alerts") == NoteDraft("fix alerts", "action", "alice")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("!oops text", "unknown tag"),
        ("!impact", "has no text"),
        ("!action @bob", "has no text"),
        ("!action due:2026-13-01 x", "not a date"),
    ],
)
def test_bad_notes_say_why(text: str, why: str) -> None:
    with pytest.raises(NoteError, match=why):
        parse_note(text)


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=200))
def test_any_text_is_either_a_note_or_a_reason(text: str) -> None:
    try:
        note = parse_note(text)
    except NoteError as exc:
        assert str(exc)
    else:
        assert note.text and note.text == note.text.strip()
        assert note.tag in TAGS


def test_an_at_prefix_names_who_is_speaking() -> None:
    assert parse_note("@alice: cache warmed up") == NoteDraft("cache warmed up", author="alice")
    assert parse_note("@bob: !went_well alerts fired").tag == "went_well"
    assert parse_note("@carol: !action @dave page the DBA") == NoteDraft(
        "page the DBA", "action", "dave", author="carol"
    )


def test_without_a_prefix_the_author_is_left_to_the_console() -> None:
    assert parse_note("@dave page the DBA").author == ""  # no colon: text, not an author
    with pytest.raises(NoteError, match="by alice has no text"):
        parse_note("@alice:   ")
