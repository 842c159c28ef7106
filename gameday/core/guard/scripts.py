"""The scripts that arm a fault on a host: its record, `fire.sh` (revert, confirm, disarm,
drop the record), the setsid `timer.sh`, and the console's own revert and disarm (pure)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from gameday.core.faults import FaultPlan
from gameday.core.guard.base import (
    KIND_PATTERN,
    UNCONFIRMED_STATUS,
    GuardPaths,
    Requester,
    all_succeed,
    check_id,
    each_attempted,
    own_line,
    own_lines,
    sh_body,
    timer_unit,
)
from gameday.core.guard.records import each_unconfirmed_record
from gameday.core.shell import render


def write_file_command(path: str, lines: Iterable[str]) -> str:
    """`printf '%s\\n' LINE... > PATH` with every line quoted as one word."""
    return f"printf '%s\\n' {render(tuple(lines))} > {render((path,))}"


def _disarm_lines(paths: GuardPaths, fault_id: str) -> list[str]:
    """Stop the fault's timer, whichever kind; harmless when it already fired or never ran."""
    folder = render((paths.fault_dir(fault_id),))
    unit = render((f"{timer_unit(fault_id)}.timer",))
    pid_file = render((f"{paths.fault_dir(fault_id)}/timer.pid",))
    kind_file = render((f"{paths.fault_dir(fault_id)}/timer",))
    # builtins only (no grep, no cat): the kill switch runs this on every host at once
    return [
        f"pid=; {{ read -r pid < {pid_file}; }} 2>/dev/null || true",
        # the pid is trusted only while its working directory is this fault's record (the
        # sleeper starts there), so a reused pid is never killed; the whole process group
        # goes (the sleeper and its `sleep`); dash's kill takes no `--`
        f'if [ -n "$pid" ] && [ "/proc/$pid/cwd" -ef {folder} ]; then'
        ' kill -TERM "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null; fi',
        f"timer=; {{ read -r timer < {kind_file}; }} 2>/dev/null || true",
        f'if [ "$timer" = systemd ]; then systemctl stop {unit} >/dev/null 2>&1; fi',
    ]


def _take_lock(paths: GuardPaths, seconds: int) -> str:
    """Hold the host's guard lock on descriptor 9 until the script ends (flock, no re-exec);
    carry on unlocked when there is no flock or no lock within `seconds`."""
    lock = render((f"{paths.faults_dir}/.lock",))
    return (
        f"if command -v flock >/dev/null 2>&1 && command exec 9>>{lock}; then"
        f" flock -w {seconds} 9 || true; fi 2>/dev/null"
    )


def _program(kind: str, line: str) -> str | None:
    """`line` as a program of its own inside fire.sh (an `exit` in it cannot end the script,
    and it needs no subshell around it), or None when it is not one: the catalog's
    `sh -c SCRIPT` runs as the subshell `( SCRIPT )` (see `own_line`), a custom fault's
    `sh -c …` as it is."""
    return own_line(kind, line) if sh_body(line) is not None else None


def _grouped(kind: str, lines: Sequence[str], log: str, on_failure: str) -> list[str]:
    """Run every line even after a failure; `on_failure` runs if any failed. Lines that are
    programs of their own (the catalog's `sh -c …`) run as they are; otherwise the group runs
    in ONE subshell (a fork, no new program), so an `exit` in a line ends only that."""
    programs = [_program(kind, line) for line in lines]
    if all(programs):
        return [f"{{ {program}\n}} {log} || {on_failure}" for program in programs]
    body = [f"{{ {line}\n}} || gameday_rc=1" for line in own_lines(kind, lines)]
    return ["(", "gameday_rc=0", *body, "exit $gameday_rc", f") {log} || {on_failure}"]


def _verified(kind: str, lines: Sequence[str], log: str) -> list[str]:
    """`ok=0` unless every verify line exits 0 (stopping at the first that fails), each a
    program of its own or all in ONE subshell, as for `_grouped`."""
    programs = [_program(kind, line) for line in lines]
    if all(programs):
        chain = " &&\n".join(f"{{ {program}\n}} {log}" for program in programs)
        return [f"{chain} || ok=0"]
    body = [f"{{ {line}\n}} || exit $?" for line in own_lines(kind, lines)]
    return ["(", *body, f") {log} || ok=0"]


def fire_script(plan: FaultPlan, paths: GuardPaths) -> list[str]:
    """Lines of `fire.sh`: revert, confirm, then tidy up (timer, cleanup, record, history).

    `$1` names who asked; `$2` is the mode. `full` (the default: the timer, sweep, the
    console) does it all. `answer` stops as soon as the fault is confirmed gone, leaving the
    `confirmed` mark, so the lease watcher can answer the kill switch first; it then runs
    `tidy`, which acts only on a record marked confirmed. The plan's lines are written into
    this script at arm time: nothing is sourced, the lock is taken on a descriptor (no
    re-exec), and before the answer only the lock, the plan's own lines and two forks run.

    Exit 0 iff the fault is confirmed gone (or its record is already gone: someone else
    confirmed it); UNCONFIRMED_STATUS otherwise, keeping the record and writing `outcome`.
    Without verify_reverted lines, only a fully successful revert counts as confirmed.
    """
    fault_id = check_id(plan.fault_id, "fault id")
    folder = render((paths.fault_dir(fault_id),))
    history = render((paths.history,))
    # the lock's descriptor is closed for the plan's lines: a daemon a revert starts must
    # not hold the host's revert lock for its whole life
    log = '9>&- >>"$dir/revert.log" 2>&1'
    if plan.verify_reverted:
        confirmed = ["  ok=1", *_verified(plan.kind, plan.verify_reverted, log)]
    else:
        confirmed = ['  ok=1; [ "$revert_rc" -eq 0 ] || ok=0']
    return [
        "#!/bin/sh",
        f"# gameday: revert fault {fault_id}, confirm it is gone, then tidy up",
        "# usage: fire.sh WHO [full|answer|tidy]",
        f"dir={folder}",
        '[ -d "$dir" ] || exit 0',
        'by="${1:-unknown}"',
        'mode="${2:-full}"',
        # one revert (or arm, or tidy) at a time per host: the timer, the watcher and the
        # console may race; no lock within 2 minutes, or no flock: a revert unlocked beats none
        _take_lock(paths, 120),
        '[ -d "$dir" ] || exit 0',
        'if [ "$mode" = tidy ]; then',
        f'  [ -f "$dir/confirmed" ] || exit {UNCONFIRMED_STATUS}  # only after a confirmed answer',
        "else",
        "  revert_rc=0",
        '  : > "$dir/revert.log"',
        *_grouped(plan.kind, plan.revert, log, "revert_rc=1"),
        *confirmed,
        '  if [ "$ok" -eq 0 ]; then',
        # the record vanished meanwhile: another revert (timer, lease) confirmed and removed it
        '    [ -d "$dir" ] || exit 0',
        '    rm -f "$dir/confirmed"',
        '    echo "$(date +%s) unconfirmed by $by" > "$dir/outcome"',
        f'    echo "$(date +%s) {fault_id} UNCONFIRMED by $by" >> {history}',
        '    cat "$dir/revert.log" >&2',
        f"    exit {UNCONFIRMED_STATUS}  # the record stays: gameday sweep will try again",
        "  fi",
        '  : > "$dir/confirmed"',
        '  [ "$mode" = full ] || exit 0',
        "fi",
        # best-effort from here: the fault is confirmed gone; leftovers must not undo that
        *(_grouped(plan.kind, plan.cleanup, log, "true") if plan.cleanup else []),
        *_disarm_lines(paths, fault_id),
        'rm -rf "$dir"',
        f'echo "${{EPOCHSECONDS:-$(date +%s)}} {fault_id} reverted by $by" >> {history}',
        "exit 0",
    ]


def timer_script(paths: GuardPaths, fault_id: str, seconds: int) -> list[str]:
    """Lines of `timer.sh`, the setsid sleeper: sleep `seconds` (it is started when the fault is
    armed), then `fire.sh timer`.

    It runs with the record as its working directory (that is how disarm knows its pid is
    still this timer); its pid is the one `arm_script` took from `$!`.
    """
    folder = render((paths.fault_dir(fault_id),))
    return [
        "#!/bin/sh",
        f"# gameday: dead-man timer of fault {fault_id}: reverts at the deadline, whoever is gone",
        f"dir={folder}",
        f"sleep {int(seconds)}",
        # out of the record first: once it fires it is no longer the timer disarm would stop
        '[ -f "$dir/fire.sh" ] && cd / && exec sh "$dir/fire.sh" timer',
        "exit 0",
    ]


def arm_script(
    plan: FaultPlan, session_id: str, seconds: float, paths: GuardPaths, *, now: float
) -> str:
    """Write the record and start the dead-man timer `seconds` from now (the host counts them).

    Prints one line `armed <timer> <deadline-epoch>`. systemd-run is tried when systemd is
    PID 1; if it is missing or refuses, a detached setsid sleeper is started instead. The
    recorded deadline is `now` (the console's wall clock, epoch seconds) plus `seconds`: it is
    for people and listings only, so the host need not start `date` on every arm.
    """
    fault_id = check_id(plan.fault_id, "fault id")
    check_id(session_id, "session id")
    if not KIND_PATTERN.fullmatch(plan.kind):
        raise ValueError(f"fault kind {plan.kind!r} is not a plain name")
    if not math.isfinite(seconds) or seconds < 1:
        raise ValueError("a dead-man timer needs at least one second")
    whole = math.ceil(seconds)
    deadline = math.ceil(now) + whole
    folder = paths.fault_dir(fault_id)
    q_folder = render((folder,))
    unit = render((f"--unit={timer_unit(fault_id)}",))
    fire = render((f"{folder}/fire.sh",))
    return "\n".join(
        [
            "set -e",
            "umask 077",
            f"dir={q_folder}",
            # builtins where possible: every host arms at once, on machines that may be busy
            f"[ -d {render((paths.faults_dir,))} ] || mkdir -p {render((paths.faults_dir,))}",
            # a record left from an earlier arm is taken under the lock (a watcher still tidying
            # that arm's revert finishes first); a new one is in no one else's hands: fault ids
            # are the session's own, and every other path acts only on a record that exists
            f'if [ -d "$dir" ]; then {_take_lock(paths, 30)}; fi',
            # a record left by another session (say, an unconfirmed revert) is not overwritten:
            # its fault may still be active, and only sweep may decide it is gone
            'owner=; { read -r owner < "$dir/session"; } 2>/dev/null || true',
            f'if [ -n "$owner" ] && [ "$owner" != {render((session_id,))} ]; then',
            f'  echo "fault {fault_id} is still recorded on this host by session'
            " $owner: if that session is still running, wait for it to end;"
            ' if no console looks after it any more, gameday sweep reverts it" >&2',
            f"  exit {UNCONFIRMED_STATUS}",
            "fi",
            # nor is a fault armed beside another session's fault not confirmed gone: one
            # arming here at this moment (preflight saw no lease yet), or one left behind
            *each_unconfirmed_record(
                paths,
                f'[ -n "$owner" ] && [ "$owner" != {render((session_id,))} ] || continue',
                'echo "fault $id of session $owner is recorded on this host and not confirmed'
                " gone: another session is starting here, or left it behind (gameday sweep"
                ' reverts it once no console looks after it); nothing was armed" >&2',
                f"exit {UNCONFIRMED_STATUS}",
            ),
            # re-arming in the same session: stop the earlier timer so only one is left
            'if [ -f "$dir/timer" ] || [ -f "$dir/timer.pid" ]; then',
            f"  ( set +e; {'; '.join(_disarm_lines(paths, fault_id))}; "
            'rm -f "$dir/timer.pid" ) || true',
            "fi",
            f"[ -d {q_folder} ] || mkdir {q_folder}",
            # a fresh arm is not confirmed: a late tidy of the last revert must leave it be
            '[ ! -e "$dir/confirmed" ] || rm -f "$dir/confirmed"',
            write_file_command(f"{folder}/revert.sh", ["#!/bin/sh", each_attempted(plan.revert)]),
            write_file_command(
                f"{folder}/verify_reverted.sh", ["#!/bin/sh", all_succeed(plan.verify_reverted)]
            ),
            write_file_command(f"{folder}/cleanup.sh", ["#!/bin/sh", each_attempted(plan.cleanup)]),
            write_file_command(f"{folder}/fire.sh", fire_script(plan, paths)),
            write_file_command(f"{folder}/timer.sh", timer_script(paths, fault_id, whole)),
            write_file_command(f"{folder}/session", [session_id]),
            write_file_command(f"{folder}/kind", [plan.kind]),
            f'echo {deadline} > "$dir/deadline"',
            "if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1"
            f" && systemd-run --quiet --collect {unit} --on-active={whole}s"
            f" --timer-property=AccuracySec=1s /bin/sh {fire} timer >/dev/null 2>&1 9>&-; then",
            "  timer=systemd",
            "else",
            # started in the record (disarm checks the pid by its working directory); a
            # background job is no group leader, so setsid execs in place and `$!` is its pid
            '  ( cd "$dir" && exec setsid sh "$dir/timer.sh" ) </dev/null >/dev/null 2>&1 9>&- &',
            '  echo $! > "$dir/timer.pid"',
            "  timer=setsid",
            "fi",
            'echo "$timer" > "$dir/timer"',
            f'echo "armed $timer {deadline}"',
        ]
    )


def parse_armed(stdout: str) -> tuple[str, int] | None:
    """(`timer kind`, deadline epoch) from `arm_script`'s output, or None if it is not there."""
    for line in stdout.splitlines():
        words = line.split()
        if len(words) == 3 and words[0] == "armed" and words[2].isdigit():
            return words[1], int(words[2])
    return None


def revert_script(plan: FaultPlan, paths: GuardPaths, requester: Requester = "console") -> str:
    """Revert one fault now: through its record's `fire.sh` when armed, else the plan's lines.

    Exit 0 iff confirmed gone; UNCONFIRMED_STATUS (or another non-zero) otherwise. The
    fallback covers a fault whose arm failed half-way: its revert is idempotent by contract.
    Either way the plan's cleanup lines run once the revert is confirmed, best-effort: their
    failure never makes a confirmed revert unconfirmed.
    """
    folder = paths.fault_dir(plan.fault_id)
    fire = render((f"{folder}/fire.sh",))
    revert_body = each_attempted(plan.revert)
    verify_body = all_succeed(plan.verify_reverted)
    fallback = [
        f"( {revert_body}\n) >&2",
        "revert_rc=$?",
        f"( {verify_body}\n) >&2 || exit {UNCONFIRMED_STATUS}",
    ]
    if not plan.verify_reverted:
        fallback.append(f'[ "$revert_rc" -eq 0 ] || exit {UNCONFIRMED_STATUS}')
    if plan.cleanup:
        fallback.append(f"( {each_attempted(plan.cleanup)}\n) >/dev/null 2>&1 || true")
    fallback.append("exit 0")
    return "\n".join(
        [
            # a record is only ever removed after a confirmed revert: gone means confirmed
            f"if [ -f {fire} ]; then sh {fire} {render((requester,))}; rc=$?;"
            f" [ $rc -eq 0 ] || [ -d {render((folder,))} ] || rc=0; exit $rc; fi",
            *fallback,
        ]
    )


def disarm_script(fault_id: str, paths: GuardPaths) -> str:
    """Stop a fault's timer and drop its record without reverting (only for a fault that was
    confirmed reverted by other means)."""
    folder = render((paths.fault_dir(fault_id),))
    return "\n".join([*_disarm_lines(paths, fault_id), f"rm -rf {folder}"])
