"""What the facilitator types in the note box, read into a note for the journal.

    plain text                          → note
    !impact users see slow pages        → impact (also !went_well !went_wrong !lucky !note)
    !action @bob due:2026-12-04 text    → action item with owner and due date (both optional)
    @alice: the cache warmed up         → written by alice (without it: by the reporter)
    @alice: !went_well alerts fired     → an author prefix comes first, then the tag

Pure: no Textual, no IO. `parse_note` raises NoteError with a sentence a person can act on.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import get_args

from gameday.core.session.events import NoteTag

TAGS: tuple[str, ...] = get_args(NoteTag)
MAX_NOTE = 2000
_OWNER = re.compile(r"@([A-Za-z0-9_.-]{1,64})")
_DUE = re.compile(r"due:(\S+)")
_AUTHOR = re.compile(r"@([A-Za-z0-9_.-]{1,64}):\s*")


class NoteError(ValueError):
    """The text cannot be a note; the message says why."""


@dataclass(frozen=True)
class NoteDraft:
    text: str
    tag: NoteTag = "note"
    owner: str = ""
    due: str = ""
    author: str = ""
    """Who said it (`@alice: …`); empty: the console's default author (the reporter)."""


def parse_note(raw: str) -> NoteDraft:
    text = " ".join(raw.split())
    if not text:
        raise NoteError("the note is empty")
    author = ""
    prefix = _AUTHOR.match(text)
    if prefix is not None:
        author, text = prefix.group(1), text[prefix.end() :]
        if not text:
            raise NoteError(f"the note by {author} has no text")
    tag: NoteTag = "note"
    if text.startswith("!"):
        word, _, rest = text.partition(" ")
        name = word[1:].replace("-", "_").lower()
        if name not in TAGS:
            raise NoteError(f"unknown tag {word}: use one of " + ", ".join("!" + t for t in TAGS))
        tag = name  # type: ignore[assignment]
        text = rest.strip()
    owner = due = ""
    if tag == "action":
        text, owner = _take(_OWNER, text)
        text, due = _take(_DUE, text)
        if due:
            try:
                due = dt.date.fromisoformat(due).isoformat()
            except ValueError:
                raise NoteError(f"due:{due} is not a date: write due:YYYY-MM-DD") from None
    if not text:
        raise NoteError(f"the {tag.replace('_', ' ')} note has no text")
    if len(text) > MAX_NOTE:
        raise NoteError(f"a note holds at most {MAX_NOTE} characters")
    return NoteDraft(text, tag, owner, due, author)


def _take(pattern: re.Pattern[str], text: str) -> tuple[str, str]:
    """Remove the first match from the text; return the rest and the match's group."""
    match = pattern.search(text)
    if match is None:
        return text, ""
    rest = (text[: match.start()] + text[match.end() :]).strip()
    return " ".join(rest.split()), match.group(1)
