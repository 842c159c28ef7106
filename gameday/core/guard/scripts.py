"""The scripts that arm a fault on a host: its record, `fire.sh` (revert, confirm, disarm,
drop the record), the setsid `timer.sh`, and the console's own revert and disarm (pure)."""

from __future__ import annotations

import math
from collections.abc import Iterable

from gameday.core.faults import FaultPlan
from gameday.core.guard.base import (
    KIND_PATTERN,
    UNCONFIRMED_STATUS,
    GuardPaths,
    Requester,
    all_succeed,
    check_id,
    each_attempted,
    timer_unit,
)
from gameday.core.shell import render


def write_file_command(path: str, lines: Iterable[str]) -> str:
    """`printf '%s\\n' LINE... > PATH` with every line quoted as one word."""
    return f"printf '%s\\n' {render(tuple(lines))} > {render((path,))}"


def _disarm_lines(paths: GuardPaths, fault_id: str) -> list[str]:
    """Stop the fault's timer, whichever kind; harmless when it already fired or never ran."""
    folder = paths.fault_dir(fault_id)
    sleeper = render((f"{folder}/timer.sh",))
    unit = render((f"{timer_unit(fault_id)}.timer",))
    pid_file = render((f"{folder}/timer.pid",))
    kind_file = render((f"{folder}/timer",))
    # builtins where possible: the kill switch runs this on every host at once
    return [
        f"pid=; {{ read -r pid < {pid_file}; }} 2>/dev/null || true",
        # the pid is trusted only while it still runs this fault's timer.sh (no pid reuse kills)
        # the whole process group (the sleeper and its `sleep`); dash's kill takes no `--`
        f'if [ -n "$pid" ] && grep -qaF {sleeper} "/proc/$pid/cmdline" 2>/dev/null; then'
        ' kill -TERM "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null; fi',
        f"timer=; {{ read -r timer < {kind_file}; }} 2>/dev/null || true",
        f'if [ "$timer" = systemd ]; then systemctl stop {unit} >/dev/null 2>&1; fi',
    ]


def fire_script(paths: GuardPaths, fault_id: str, *, has_verify: bool) -> list[str]:
    """Lines of `fire.sh`: revert, confirm, disarm, remove. `$1` names who asked.

    Exit 0 iff the fault is confirmed gone (or its record is already gone: someone else
    confirmed it); UNCONFIRMED_STATUS otherwise, keeping the record and writing `outcome`.
    Without verify_reverted lines, only a fully successful revert counts as confirmed.
    """
    folder = render((paths.fault_dir(fault_id),))
    history = render((paths.history,))
    ident = render((fault_id,))
    lock = render((f"{paths.faults_dir}/.lock",))
    # Redirections sit inside the subshells: if a racing revert removed the record meanwhile,
    # a failed redirection ends only the subshell, never fire.sh itself.
    verify = '( . "$dir/verify_reverted.sh" >>"$dir/revert.log" 2>&1 )'
    confirmed = verify if has_verify else f'[ "$revert_rc" -eq 0 ] && {verify}'
    return [
        "#!/bin/sh",
        f"# gameday: revert fault {fault_id}, confirm, disarm its timer, drop the record",
        f"dir={folder}",
        '[ -d "$dir" ] || exit 0',
        'by="${1:-unknown}"',
        # one revert at a time per host: the timer, the watcher and the console may race
        'if [ -z "${GAMEDAY_FIRE_LOCKED:-}" ] && command -v flock >/dev/null 2>&1; then',
        f"  GAMEDAY_FIRE_LOCKED=1 flock -w 120 {lock} sh -c"
        ' \'[ -d "$1" ] || exit 0; exec sh "$1/fire.sh" "$2"\' gameday-fire "$dir" "$by"',
        "  locked_rc=$?",
        f'  case $locked_rc in 0|{UNCONFIRMED_STATUS}) exit "$locked_rc" ;; esac',
        "  # no lock within 2 minutes, or no lock file possible: a revert unlocked beats none",
        "fi",
        '[ -d "$dir" ] || exit 0',
        # sourced in subshells: a fork, not a new shell (the kill switch runs this everywhere)
        '( . "$dir/revert.sh" >"$dir/revert.log" 2>&1 )',
        "revert_rc=$?",
        f"if {confirmed}; then",
        # best-effort: the fault is confirmed gone; its leftover files must not undo that
        '  [ ! -f "$dir/cleanup.sh" ] || ( . "$dir/cleanup.sh" >>"$dir/revert.log" 2>&1 ) || true',
        *("  " + line for line in _disarm_lines(paths, fault_id)),
        '  rm -rf "$dir"',
        f'  echo "$(date +%s) {fault_id} reverted by $by" >> {history}',
        "  exit 0",
        "fi",
        # the record vanished meanwhile: another revert (timer, lease) confirmed and removed it
        '[ -d "$dir" ] || exit 0',
        'echo "$(date +%s) unconfirmed by $by" > "$dir/outcome"',
        f'echo "$(date +%s) {fault_id} UNCONFIRMED by $by" >> {history}',
        'cat "$dir/revert.log" >&2',
        f"# {ident} stays recorded: gameday sweep will try again",
        f"exit {UNCONFIRMED_STATUS}",
    ]


def timer_script(paths: GuardPaths, fault_id: str) -> list[str]:
    """Lines of `timer.sh`, the setsid sleeper: wait until the deadline, then `fire.sh timer`."""
    folder = render((paths.fault_dir(fault_id),))
    return [
        "#!/bin/sh",
        f"# gameday: dead-man timer of fault {fault_id}: reverts at the deadline, whoever is gone",
        f"dir={folder}",
        'echo $$ > "$dir/timer.pid"',
        'deadline=$(cat "$dir/deadline")',
        "now=$(date +%s)",
        'if [ "$deadline" -gt "$now" ]; then sleep $((deadline - now)); fi',
        '[ -f "$dir/fire.sh" ] && exec sh "$dir/fire.sh" timer',
        "exit 0",
    ]


def arm_script(plan: FaultPlan, session_id: str, seconds: float, paths: GuardPaths) -> str:
    """Write the record and start the dead-man timer `seconds` from now (host clock).

    Prints one line `armed <timer> <deadline-epoch>`. systemd-run is tried when systemd is
    PID 1; if it is missing or refuses, a detached setsid sleeper is started instead.
    """
    fault_id = check_id(plan.fault_id, "fault id")
    check_id(session_id, "session id")
    if not KIND_PATTERN.fullmatch(plan.kind):
        raise ValueError(f"fault kind {plan.kind!r} is not a plain name")
    if not math.isfinite(seconds) or seconds < 1:
        raise ValueError("a dead-man timer needs at least one second")
    whole = math.ceil(seconds)
    folder = paths.fault_dir(fault_id)
    q_folder = render((folder,))
    unit = render((f"--unit={timer_unit(fault_id)}",))
    fire = render((f"{folder}/fire.sh",))
    return "\n".join(
        [
            "set -e",
            "umask 077",
            f"dir={q_folder}",
            # a record left by another session (say, an unconfirmed revert) is not overwritten:
            # its fault may still be active, and only sweep may decide it is gone
            f'if [ -f "$dir/session" ] && [ "$(cat "$dir/session")" != {render((session_id,))} ];'
            " then",
            f'  echo "fault {fault_id} is still recorded on this host by session'
            f' $(cat "$dir/session"): run gameday sweep first" >&2',
            f"  exit {UNCONFIRMED_STATUS}",
            "fi",
            # re-arming in the same session: stop the earlier timer so only one is left
            f"( set +e; {'; '.join(_disarm_lines(paths, fault_id))}; "
            'rm -f "$dir/timer.pid" ) || true',
            f"mkdir -p {q_folder}",
            write_file_command(f"{folder}/revert.sh", ["#!/bin/sh", each_attempted(plan.revert)]),
            write_file_command(
                f"{folder}/verify_reverted.sh", ["#!/bin/sh", all_succeed(plan.verify_reverted)]
            ),
            write_file_command(f"{folder}/cleanup.sh", ["#!/bin/sh", each_attempted(plan.cleanup)]),
            write_file_command(
                f"{folder}/fire.sh",
                fire_script(paths, fault_id, has_verify=bool(plan.verify_reverted)),
            ),
            write_file_command(f"{folder}/timer.sh", timer_script(paths, fault_id)),
            write_file_command(f"{folder}/session", [session_id]),
            write_file_command(f"{folder}/kind", [plan.kind]),
            f'echo $(( $(date +%s) + {whole} )) > "$dir/deadline"',
            "if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1"
            f" && systemd-run --quiet --collect {unit} --on-active={whole}s"
            f" --timer-property=AccuracySec=1s /bin/sh {fire} timer >/dev/null 2>&1; then",
            '  echo systemd > "$dir/timer"',
            "else",
            '  setsid sh "$dir/timer.sh" </dev/null >/dev/null 2>&1 &',
            # the sleeper writes its own pid; wait for it (bounded) so disarm can find it
            "  i=0",
            '  while [ ! -s "$dir/timer.pid" ] && [ $i -lt 100 ]; do',
            "    sleep 0.01; i=$((i + 1))",
            "  done",
            '  echo setsid > "$dir/timer"',
            "fi",
            'echo "armed $(cat "$dir/timer") $(cat "$dir/deadline")"',
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
