"""The session's lease watcher on a host: its command line and the answers it gives.

The watcher's own code lives beside this module as package data (`watcher.sh` for bash,
`watcher.py.tmpl` for python3), so each can be syntax-checked by its own tool.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

from gameday.core.guard.base import GuardPaths, LeaseRunner, check_id
from gameday.core.shell import render


@cache
def watcher_source(runner: LeaseRunner) -> str:
    """The watcher's program text for `runner` (read once from the package data)."""
    name = "watcher.sh" if runner == "bash" else "watcher.py.tmpl"
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def watcher_command(
    runner: LeaseRunner,
    session_id: str,
    lease_seconds: float,
    paths: GuardPaths,
    *,
    sudo: bool,
    holder: str = "",
) -> str:
    """The command line of a session's lease watcher on one host.

    Protocol on the channel: the watcher prints `ready <pid>`; every line it reads renews the
    lease; the heartbeat `hb` is answered `hb` (so the console knows the path works both
    ways); `ping` is answered `pong`; `revert` reverts every fault of the session on the host
    and is answered `reverted ok=<ids> unconfirmed=<ids>` (comma-separated); `revert WHO`
    (console, sweep, recover, timer, lease) does the same and names WHO in the host's history
    (plain `revert` is the kill switch). At end of input
    or when no line arrives for `lease_seconds`, it reverts them all and exits. While it runs,
    `<state>/leases/<session>` names its pid and `holder` (see gameday.core.guard.holders).
    """
    check_id(session_id, "session id")
    if not math.isfinite(lease_seconds) or lease_seconds <= 0:
        raise ValueError("the lease must be a positive number of seconds")
    lease = f"{lease_seconds:.3f}".rstrip("0").rstrip(".")
    if runner == "bash":
        argv: tuple[str, ...] = ("bash", "-c", watcher_source("bash"), "gameday-lease")
    else:
        argv = ("python3", "-c", watcher_source("python3"))
    argv = (*argv, paths.state_dir, session_id, lease, holder)
    return render(("sudo", "-n", *argv)) if sudo else render(argv)


@dataclass(frozen=True)
class WatcherReply:
    """The watcher's answer to `revert`."""

    confirmed: tuple[str, ...]
    unconfirmed: tuple[str, ...]


def parse_reverted(line: str) -> WatcherReply | None:
    """Parse `reverted ok=a,b unconfirmed=c`; None if the line is something else."""
    words = line.split()
    if len(words) != 3 or words[0] != "reverted":
        return None
    ok = words[1].removeprefix("ok=")
    bad = words[2].removeprefix("unconfirmed=")
    return WatcherReply(
        confirmed=tuple(i for i in ok.split(",") if i),
        unconfirmed=tuple(i for i in bad.split(",") if i),
    )
