"""The people of a GameDay and their roles.

    owner        decides to halt, and to step up a ladder
    coordinator  drives the console
    reporter     takes notes (notes without an author are theirs)
    observer     watches

Pure: `parse_participant` reads `NAME:ROLE` (the `--participant` flag, the console's setup) and
raises InputError with a sentence naming the known roles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from gameday.errors import InputError

ROLES: tuple[str, ...] = ("owner", "coordinator", "reporter", "observer")
ROLE_DUTIES: Mapping[str, str] = {
    "owner": "decides to halt and to step up a ladder",
    "coordinator": "drives the console",
    "reporter": "takes notes",
    "observer": "watches",
}
DEFAULT_ROLE = "observer"
NAME_PATTERN = r"[A-Za-z0-9_.-]{1,64}"
_NAME = re.compile(NAME_PATTERN)


def check_name(name: str, source: str = "--participant") -> str:
    """The name, stripped; raises InputError unless it is 1-64 of letters, digits, `_ . -`."""
    name = name.strip()
    if not _NAME.fullmatch(name):
        raise InputError(
            source,
            0,
            "",
            f"{name!r} is not a participant name: use 1 to 64 letters, digits, '_', '.' or '-'",
        )
    return name


def check_role(role: str, source: str = "--participant") -> str:
    role = role.strip().lower()
    if role not in ROLES:
        raise InputError(source, 0, "", f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


def parse_participant(text: str, source: str = "--participant") -> tuple[str, str]:
    """`alice:owner` → ("alice", "owner"); a bare `alice` is an observer."""
    name, colon, role = text.partition(":")
    return check_name(name, source), check_role(role, source) if colon else DEFAULT_ROLE


def check_team(people: Iterable[tuple[str, str]], source: str = "--participant") -> None:
    """A name appears once; raises InputError naming the duplicate."""
    seen: set[str] = set()
    for name, _role in people:
        if name in seen:
            raise InputError(source, 0, "", f"{name} is named twice: give each person one role")
        seen.add(name)


def note_author(people: Mapping[str, str], fallback: str) -> str:
    """Who a note without `@name:` is written by: the first reporter, else `fallback`."""
    for name, role in people.items():
        if role == "reporter":
            return name
    return fallback


def role_rank(role: str) -> int:
    """Owner first, then coordinator, reporter, observer; unknown or empty roles last."""
    return ROLES.index(role) if role in ROLES else len(ROLES)
