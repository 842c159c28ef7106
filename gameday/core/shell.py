"""The one way a command reaches a remote shell.

Commands are argv tuples of validated values; `render` quotes every word, so no value — a host
name, a path, a process name — can change the shape of the command. Scripts that need shell
syntax (`||`, redirections) are built from rendered argvs joined by fixed operators only.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence

Argv = tuple[str, ...]

_SAFE_NAME = re.compile(r"[A-Za-z0-9_.@%+=:,/-]+")


def render(argv: Sequence[str]) -> str:
    """Quote each word for a POSIX shell; `shlex.split(render(argv)) == list(argv)`."""
    if not argv:
        raise ValueError("an empty command cannot be rendered")
    return " ".join(shlex.quote(word) for word in argv)


def script(*steps: str) -> str:
    """Join already-rendered steps with `;` into one line."""
    return "; ".join(step for step in steps if step)


def either(first: str, otherwise: str) -> str:
    """`first || otherwise`, both already rendered."""
    return f"{first} || {otherwise}"


def both(first: str, then: str) -> str:
    """`first && then`, both already rendered."""
    return f"{first} && {then}"


def quiet(rendered: str) -> str:
    """Discard a rendered command's output."""
    return f"{rendered} >/dev/null 2>&1"


def sh_c(body: str) -> Argv:
    """Run a rendered script in its own `sh -c`, e.g. under sudo or setsid."""
    return ("sh", "-c", body)


def is_safe_word(word: str) -> bool:
    """True when a word needs no quoting at all (used to keep previews readable)."""
    return bool(_SAFE_NAME.fullmatch(word))


def join_lines(lines: Iterable[str]) -> str:
    return "\n".join(lines)
