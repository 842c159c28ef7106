"""The people of a GameDay and their roles.

    owner        decides to halt, and to step up a ladder
    coordinator  drives the console
    reporter     takes notes (notes without an author are theirs)
    observer     watches

Pure: `parse_participant` reads `NAME:ROLE` (the `--participant` flag, the console's setup) and
raises InputError with a sentence naming the known roles.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class Team:
    """A GameDay's name and its people, as the console's setup step records them."""

    name: str = ""
    people: tuple[tuple[str, str], ...] = ()
    """(name, role), in the order given."""

    @property
    def roles(self) -> dict[str, str]:
        return dict(self.people)

    def participants(self, fallback: str) -> tuple[tuple[str, str], ...]:
        """Who the session announces: the team, or the console's user as coordinator."""
        return self.people or ((fallback, "coordinator"),)


MAX_TEAM_NAME = 120


def parse_team(name: str, people: str, source: str = "team") -> Team:
    """`people` is `alice:owner bob:coordinator, carol:reporter` (spaces or commas between)."""
    title = " ".join(name.split())
    if len(title) > MAX_TEAM_NAME or not title.isprintable():
        raise InputError(
            source, 0, "name", f"a GameDay name is one line of at most {MAX_TEAM_NAME} characters"
        )
    entries = tuple(parse_participant(p, source) for p in people.replace(",", " ").split())
    check_team(entries, source)
    return Team(title, entries)


def team_text(team: Team) -> str:
    """The people as the setup step shows them back: `alice:owner bob:coordinator`."""
    return " ".join(f"{n}:{r}" for n, r in team.people)


def describe_team(team: Team) -> str:
    """One line for the confirm dialog and the session's header: who has which role."""
    if not team.people:
        return ""
    by_role = sorted(team.people, key=lambda p: role_rank(p[1]))
    people = ", ".join(f"{role} {name}" for name, role in by_role)
    return f"{team.name}: {people}" if team.name else people


def default_team_file() -> Path:
    """$XDG_CONFIG_HOME/gameday/team.json (~/.config/gameday/team.json)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "gameday" / "team.json"


def load_team(path: Path) -> Team:
    """The remembered team; a missing file is no team. Raises InputError for a bad file."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Team()
    except (OSError, ValueError) as exc:
        raise InputError(str(path), 0, "", f"cannot read the remembered team: {exc}") from None
    if not isinstance(body, dict) or not isinstance(body.get("people", []), list):
        raise InputError(str(path), 0, "", "not a team file (expected name and people)")
    people = " ".join(
        f"{p.get('name', '')}:{p.get('role', '')}"
        for p in body.get("people", [])
        if isinstance(p, dict)
    )
    return parse_team(str(body.get("name", "")), people, str(path))


def save_team(path: Path, team: Team) -> None:
    """Write the team for the next console (through a temporary file; raises OSError)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"name": team.name, "people": [{"name": n, "role": r} for n, r in team.people]}
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)
