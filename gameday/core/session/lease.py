"""The console's side of a host's lease: when a host counts as lost, and the bounds that follow.

The console writes `hb` into each host's lease channel every second and the host's watcher
answers `hb`. A host that has not answered for `lost_after(lease)` seconds is *lost*: if our
lines still reached it, it stops hearing them now (the console stops writing); if they did
not, its watcher has already reverted the session's faults when its lease ran out. Either
way its own lease reverts it by `reverted_by`; until someone reaches the host again, that is
*not confirmed*. How that is said lives in `gameday.core.wording` with every other word.
"""

from __future__ import annotations

LOST_MARGIN = 1.0
"""Seconds past the lease before a silent host is declared lost (4 s at the default 3 s
lease): one missed answer more than the host itself tolerates, so a host is never called lost
while its watcher may still be holding its faults."""

LOST_RETRY_TIMEOUT = 2.0
"""Seconds one confirm attempt of a lost host may take in-session (over the connection the
session already has). A host that does not answer in time is left to the background confirm
or `gameday recover`."""

KILL_SWITCH_SLACK = 2.0
"""The kill switch gives every host's outcome within lease + this many seconds."""

SESSION_END_BOUND = 30.0
"""With the path to a host gone for good, the session ends on its own within this many
seconds of the cut (lost after lease + margin, then revert, rollback and verdict, each of
which skips the lost host)."""


def lost_after(lease: float) -> float:
    """Seconds of silence after which a host is lost."""
    return lease + LOST_MARGIN


def kill_switch_bound(lease: float) -> float:
    """Seconds within which the kill switch reports every host, reachable or not."""
    return lease + KILL_SWITCH_SLACK
