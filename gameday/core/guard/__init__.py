"""The host-side guard that makes every fault come back, rendered as shell text (pure).

One module per concern: `base` (ids, paths, running as root), `capability` (the probe),
`scripts` (arm, fire, timer, revert, disarm), `watcher` (the lease watcher; its bash and
Python are package data beside it), `records` and `traces` (what `gameday sweep` finds).

On each host, under `<state_dir>/faults/<fault_id>/`, a fault leaves a record before it is
injected:

    session            the session id that owns the fault
    kind               the fault kind (for people reading the host)
    deadline           epoch seconds at which the timer reverts it, for people: the console's
                       clock at the arm plus the duration (the timer counts on the host)
    timer              `systemd` or `setsid`: which dead-man timer guards it
    timer.pid          setsid only: the sleeper's pid (its own process group)
    revert.sh          the plan's revert lines, each run even when an earlier one fails
    verify_reverted.sh exits 0 iff no trace of the fault is left
    cleanup.sh         the plan's cleanup lines (its small files in the state directory)
    fire.sh            revert, verify, then clean up, disarm and remove the record; exit 0 iff
                       confirmed (a failed cleanup does not change that). The plan's revert and
                       verify lines are written into it; `fire.sh WHO answer` stops once
                       confirmed (leaving `confirmed`), `fire.sh WHO tidy` finishes after that
    confirmed          the revert was confirmed and the tidy-up has not finished yet
    timer.sh           setsid only: sleeps until the deadline, then runs `fire.sh timer`
    outcome            written when a revert could not be confirmed; the record then stays

Three things run `fire.sh`: the dead-man timer at the deadline, the lease watcher (end of input,
a missed lease, or a `revert` line — the kill switch), and the console itself (normal revert,
`gameday sweep`). A confirmed revert removes the record and appends a line to
`<state_dir>/history`; an unconfirmed one leaves the record for `gameday sweep`.

A record is only ever removed after its revert was confirmed (or by `disarm_script`, which is
only for a fault confirmed reverted by other means); so every caller reads "the record is gone"
as "confirmed". `fire.sh` runs under `flock` on `<state_dir>/faults/.lock` where flock exists,
so the timer, the watcher and the console never revert the same host at the same instant.

Every value placed into these scripts is either validated against a strict pattern here
(ids, kinds, paths) or quoted by `gameday.core.shell.render`; a plan's lines are shell written by
the fault catalog and are placed verbatim, each on its own lines, never inside quotes.
"""

from __future__ import annotations

from gameday.core.guard.base import (
    UNCONFIRMED_STATUS,
    GuardPaths,
    LeaseRunner,
    Requester,
    TimerKind,
    all_succeed,
    as_root,
    check_id,
    check_state_dir,
    each_attempted,
    timer_unit,
)
from gameday.core.guard.capability import (
    GuardCapability,
    left_behind_refusal,
    parse_probe,
    probe_script,
)
from gameday.core.guard.records import (
    Record,
    list_records_script,
    parse_fill_dirs,
    parse_records,
    sweep_record_script,
)
from gameday.core.guard.scripts import (
    arm_script,
    disarm_script,
    fire_script,
    parse_armed,
    revert_script,
    timer_script,
    write_file_command,
)
from gameday.core.guard.traces import (
    CLEAR_ORDER,
    FILL_DIRS,
    Trace,
    clear_traces_script,
    parse_traces,
    traces_script,
)
from gameday.core.guard.watcher import WatcherReply, parse_reverted, watcher_command, watcher_source

__all__ = [
    "CLEAR_ORDER",
    "FILL_DIRS",
    "UNCONFIRMED_STATUS",
    "GuardCapability",
    "GuardPaths",
    "LeaseRunner",
    "Record",
    "Requester",
    "TimerKind",
    "Trace",
    "WatcherReply",
    "all_succeed",
    "arm_script",
    "as_root",
    "check_id",
    "check_state_dir",
    "clear_traces_script",
    "disarm_script",
    "each_attempted",
    "fire_script",
    "left_behind_refusal",
    "list_records_script",
    "parse_armed",
    "parse_fill_dirs",
    "parse_probe",
    "parse_records",
    "parse_reverted",
    "parse_traces",
    "probe_script",
    "revert_script",
    "sweep_record_script",
    "timer_script",
    "timer_unit",
    "traces_script",
    "watcher_command",
    "watcher_source",
    "write_file_command",
]
