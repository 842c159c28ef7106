"""What every part of the guard shares: safe ids and paths, where the record lives, how a
script is run as root, and the two ways of chaining a plan's lines (pure)."""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from gameday.core.shell import render

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,95}")
PATH_PATTERN = re.compile(r"/[A-Za-z0-9_./-]*")
KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")


UNCONFIRMED_STATUS = 3
"""`fire.sh` exit status when the revert ran but `verify_reverted` did not pass."""

Requester = Literal["timer", "lease", "kill-switch", "console", "sweep", "recover"]
LeaseRunner = Literal["bash", "python3"]
TimerKind = Literal["systemd", "setsid"]


def check_id(value: str, what: str = "id") -> str:
    """Return `value` if it is a safe id (letters, digits, `_.-`; no leading dot), else raise."""
    if not ID_PATTERN.fullmatch(value) or ".." in value:
        raise ValueError(f"{what} {value!r} must be 1-96 letters, digits, '_', '.', '-'")
    return value


def check_state_dir(value: str) -> str:
    """Return an absolute, plain state directory path, else raise ValueError."""
    if not PATH_PATTERN.fullmatch(value) or "/../" in value + "/" or value.rstrip("/") == "":
        raise ValueError(f"state directory {value!r} must be a plain absolute path")
    return value.rstrip("/")


@dataclass(frozen=True)
class GuardPaths:
    """Where the guard keeps its files on a host."""

    state_dir: str = "/var/lib/gameday"

    def __post_init__(self) -> None:
        object.__setattr__(self, "state_dir", check_state_dir(self.state_dir))

    @property
    def faults_dir(self) -> str:
        return f"{self.state_dir}/faults"

    @property
    def history(self) -> str:
        return f"{self.state_dir}/history"

    def fault_dir(self, fault_id: str) -> str:
        return f"{self.faults_dir}/{check_id(fault_id, 'fault id')}"


def timer_unit(fault_id: str) -> str:
    """The transient systemd unit name of a fault's dead-man timer."""
    return f"gameday-fault-{check_id(fault_id, 'fault id')}"


def as_root(script: str, *, sudo: bool) -> str:
    """A command line that runs `script` with `sh`, under `sudo -n` when asked (never prompts)."""
    argv = ("sudo", "-n", "sh", "-c", script) if sudo else ("sh", "-c", script)
    return render(argv)


def all_succeed(lines: Sequence[str]) -> str:
    """A script that runs each line in order and stops at the first failure with its status."""
    if not lines:
        return "true"
    return "\n".join(f"{{ {line}\n}} || exit $?" for line in lines)


def each_attempted(lines: Sequence[str]) -> str:
    """A script that runs every line even after failures; exits 1 if any failed."""
    body = [f"{{ {line}\n}} || gameday_rc=1" for line in lines]
    return "\n".join(["gameday_rc=0", *body, "exit $gameday_rc"])


@functools.lru_cache(maxsize=4096)
def sh_body(line: str) -> str | None:
    """The script of a line that is exactly `sh -c SCRIPT` as gameday renders it, else None."""
    if not line.startswith("sh -c "):
        return None  # most lines: no lexing (shlex is slow, and every host's launch asks)
    try:
        argv = shlex.split(line)
    except ValueError:
        return None
    if len(argv) == 3 and argv[:2] == ["sh", "-c"] and render(tuple(argv)) == line:
        return argv[2]
    return None


def own_line(kind: str, line: str) -> str:
    """`line` to run inside an `sh` script of gameday's: a catalog line `sh -c SCRIPT` becomes
    `( SCRIPT )`, a subshell of that script (a fork, not a new `sh` started: every host runs
    them at once). The catalog's scripts assign every variable and positional parameter they
    read, so they mean the same in a subshell; a custom fault's lines are the author's own and
    run exactly as written."""
    body = _catalog_script(kind, line)
    return line if body is None else f"(\n{body}\n)"


def own_step(kind: str, line: str) -> str:
    """`line` in a subshell of its own, as `own_line` runs it: its `exit` and `set -e` end
    only it. A catalog line is that subshell already; any other line is put in one."""
    body = _catalog_script(kind, line)
    return f"(\n{line if body is None else body}\n)"


def _catalog_script(kind: str, line: str) -> str | None:
    """The script of a catalog line `sh -c SCRIPT`; None for any other line, and for every
    line of a custom fault (its author's own, run as written)."""
    return None if kind == "custom" else sh_body(line)


def own_lines(kind: str, lines: Sequence[str]) -> tuple[str, ...]:
    """Each of `lines` as `own_line` runs it."""
    return tuple(own_line(kind, line) for line in lines)
