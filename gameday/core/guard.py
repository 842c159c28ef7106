"""The host-side guard that makes every fault come back, rendered as shell text (pure).

On each host, under `<state_dir>/faults/<fault_id>/`, a fault leaves a record before it is
injected:

    session            the session id that owns the fault
    kind               the fault kind (for people reading the host)
    deadline           epoch seconds (host clock) at which the timer reverts it
    timer              `systemd` or `setsid`: which dead-man timer guards it
    timer.pid          setsid only: the sleeper's pid (its own process group)
    revert.sh          the plan's revert lines, each run even when an earlier one fails
    verify_reverted.sh exits 0 iff no trace of the fault is left
    cleanup.sh         the plan's cleanup lines (its small files in the state directory)
    fire.sh            revert, verify, then clean up, disarm and remove the record; exit 0 iff
                       confirmed (a failed cleanup does not change that)
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

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from gameday.core import holders
from gameday.core.faults import FaultPlan
from gameday.core.shell import render

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,95}")
_STATE_DIR = re.compile(r"/[A-Za-z0-9_./-]*")
_KIND = re.compile(r"[a-z][a-z0-9_]{0,63}")

UNCONFIRMED_STATUS = 3
"""`fire.sh` exit status when the revert ran but `verify_reverted` did not pass."""

Requester = Literal["timer", "lease", "kill-switch", "console", "sweep"]
LeaseRunner = Literal["bash", "python3"]
TimerKind = Literal["systemd", "setsid"]


def check_id(value: str, what: str = "id") -> str:
    """Return `value` if it is a safe id (letters, digits, `_.-`; no leading dot), else raise."""
    if not _ID.fullmatch(value) or ".." in value:
        raise ValueError(f"{what} {value!r} must be 1-96 letters, digits, '_', '.', '-'")
    return value


def check_state_dir(value: str) -> str:
    """Return an absolute, plain state directory path, else raise ValueError."""
    if not _STATE_DIR.fullmatch(value) or "/../" in value + "/" or value.rstrip("/") == "":
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


# --- capability probe ---------------------------------------------------------------------


@dataclass(frozen=True)
class GuardCapability:
    """What the guard can use on a host (parsed from `probe_script`'s output)."""

    uid: int | None
    lease_runner: LeaseRunner | None
    """bash (`read -t`) is preferred; python3 otherwise; None: no lease watcher possible."""
    timer: TimerKind | None
    """systemd when it is PID 1 and usable (tried first at arm time), else setsid."""
    state_writable: bool
    held: tuple[holders.Holder, ...] = ()
    """Sessions whose lease watcher runs on the host right now (ours included)."""

    def problems(self) -> tuple[str, ...]:
        """Why faults cannot be guarded on this host (empty when they can)."""
        found: list[str] = []
        if self.lease_runner is None:
            found.append("neither bash nor python3 is installed: no lease watcher can run")
        if self.timer is None:
            found.append("neither systemd-run nor setsid is available: no dead-man timer")
        if not self.state_writable:
            found.append(
                "cannot write gameday's state directory (log in as root, or set `sudo: true`"
                " for this host in the inventory)"
            )
        return tuple(found)


def probe_script(paths: GuardPaths) -> str:
    """Prints `key=value` lines describing the host; changes nothing but creating the state dir."""
    faults = render((paths.faults_dir,))
    return "\n".join(
        [
            'echo "uid=$(id -u)"',
            "if command -v bash >/dev/null 2>&1; then echo lease=bash;"
            " elif command -v python3 >/dev/null 2>&1; then echo lease=python3; fi",
            "if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1;"
            " then echo timer=systemd;"
            " elif command -v setsid >/dev/null 2>&1; then echo timer=setsid; fi",
            f"if mkdir -p {faults} 2>/dev/null && [ -w {faults} ]; then echo state=writable; fi",
            *holders.live_leases_script(paths.state_dir),
        ]
    )


def parse_probe(stdout: str) -> GuardCapability:
    values: dict[str, str] = {}
    for line in stdout.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep:
            values[key] = value
    uid_text = values.get("uid", "")
    lease = values.get("lease")
    timer = values.get("timer")
    return GuardCapability(
        uid=int(uid_text) if uid_text.isdigit() else None,
        lease_runner="bash" if lease == "bash" else "python3" if lease == "python3" else None,
        timer="systemd" if timer == "systemd" else "setsid" if timer == "setsid" else None,
        state_writable=values.get("state") == "writable",
        held=holders.parse_held(stdout),
    )


# --- arm: the record, fire.sh and the dead-man timer --------------------------------------


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
    if not _KIND.fullmatch(plan.kind):
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
            f' $(cat "$dir/session"): if that session is still running, wait for it to end;'
            f' if no console looks after it any more, gameday sweep reverts it" >&2',
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


# --- lease watcher ------------------------------------------------------------------------

_BASH_WATCHER = r"""trap '' HUP PIPE
state=$1 session=$2 lease=$3 holder=${4:-}
hold() { mkdir -p "$state/leases" && printf '%s\n%s\n' "$$" "$holder" > "$state/leases/$session"; }
hold 2>/dev/null || hold 2>/dev/null  # again if another watcher removed the empty folder
revert_session() {
  ok='' bad=''
  for d in "$state"/faults/*/; do
    owner=''; { read -r owner < "$d/session"; } 2>/dev/null
    [ "$owner" = "$session" ] || continue
    id=${d%/}; id=${id##*/}
    if ( . "$d/fire.sh" "$1" ) </dev/null >/dev/null 2>&1 || [ ! -d "$d" ]
    then ok="$ok,$id"
    else bad="$bad,$id"
    fi
  done
}
echo "ready $$"
while IFS= read -r -t "$lease" line; do
  case $line in
    hb) echo hb ;;
    revert) revert_session kill-switch; echo "reverted ok=${ok#,} unconfirmed=${bad#,}" ;;
    ping) echo pong ;;
  esac
done
trap '' TERM INT
exec </dev/null >/dev/null 2>&1
revert_session lease
rm -f "$state/leases/$session"
rmdir "$state/leases" 2>/dev/null
"""

_PYTHON_WATCHER = r"""import os, select, signal, subprocess, sys
for sig in (signal.SIGHUP, signal.SIGPIPE):
    signal.signal(sig, signal.SIG_IGN)
state, session, lease = sys.argv[1], sys.argv[2], float(sys.argv[3])
holder = sys.argv[4] if len(sys.argv) > 4 else ""
lease_file = os.path.join(state, "leases", session)
for _ in range(2):  # again if another watcher removed the empty folder meanwhile
    try:
        os.makedirs(os.path.dirname(lease_file), exist_ok=True)
        with open(lease_file, "w") as f:
            f.write("%d\n%s\n" % (os.getpid(), holder))
        break
    except OSError:
        pass
def revert_session(by):
    ok, bad = [], []
    base = os.path.join(state, "faults")
    for ident in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        folder = os.path.join(base, ident)
        try:
            with open(os.path.join(folder, "session")) as f:
                owner = f.read().strip()
        except OSError:
            continue
        if owner != session:
            continue
        rc = subprocess.call(["sh", os.path.join(folder, "fire.sh"), by],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        (ok if rc == 0 or not os.path.isdir(folder) else bad).append(ident)
    return ok, bad
def say(text):
    try:
        os.write(1, (text + "\n").encode())
    except OSError:
        pass
say("ready %d" % os.getpid())
buf = b""
while True:
    ready, _, _ = select.select([0], [], [], lease)
    if not ready:
        break
    chunk = os.read(0, 4096)
    if not chunk:
        break
    buf += chunk
    while b"\n" in buf:
        line, _, buf = buf.partition(b"\n")
        word = line.decode(errors="replace").strip()
        if word == "revert":
            ok, bad = revert_session("kill-switch")
            say("reverted ok=%s unconfirmed=%s" % (",".join(ok), ",".join(bad)))
        elif word == "ping":
            say("pong")
        elif word == "hb":
            say("hb")
for sig in (signal.SIGTERM, signal.SIGINT):
    signal.signal(sig, signal.SIG_IGN)
revert_session("lease")
for remove in (os.unlink, os.rmdir):
    try:
        remove(lease_file if remove is os.unlink else os.path.dirname(lease_file))
    except OSError:
        pass
"""


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
    and is answered `reverted ok=<ids> unconfirmed=<ids>` (comma-separated). At end of input
    or when no line arrives for `lease_seconds`, it reverts them all and exits. While it runs,
    `<state>/leases/<session>` names its pid and `holder` (see gameday.core.holders).
    """
    check_id(session_id, "session id")
    if not math.isfinite(lease_seconds) or lease_seconds <= 0:
        raise ValueError("the lease must be a positive number of seconds")
    lease = f"{lease_seconds:.3f}".rstrip("0").rstrip(".")
    if runner == "bash":
        argv: tuple[str, ...] = ("bash", "-c", _BASH_WATCHER, "gameday-lease")
    else:
        argv = ("python3", "-c", _PYTHON_WATCHER)
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


# --- sweep --------------------------------------------------------------------------------


def list_records_script(paths: GuardPaths) -> str:
    """Prints `record <id> <session> <kind> <deadline> <timer> <outcome>` per recorded fault
    (`-` for a missing field)."""
    faults = render((paths.faults_dir,))
    return "\n".join(
        [
            f"for d in {faults}/*/; do",
            '  [ -d "$d" ] || continue',
            "  id=${d%/}; id=${id##*/}",
            '  f() { v=$(head -n1 "$d/$1" 2>/dev/null | tr -d " \\t"); echo "${v:--}"; }',
            '  echo "record $id $(f session) $(f kind) $(f deadline) $(f timer) $(f outcome)"',
            # where a recorded disk fill or io_stress writes: sweep looks there for traces too
            "  grep -Eho '/[A-Za-z0-9_./-]*/[.]gameday-(fill|io)-' \"$d/revert.sh\" 2>/dev/null"
            " | sed -E 's#/[.]gameday-(fill|io)-$##; s#^#filldir #'",
            "done",
        ]
    )


def parse_fill_dirs(stdout: str) -> tuple[str, ...]:
    """Directories named by `filldir` lines of `list_records_script` (plain paths only)."""
    found: list[str] = []
    for line in stdout.splitlines():
        words = line.split()
        if len(words) == 2 and words[0] == "filldir" and _STATE_DIR.fullmatch(words[1]):
            found.append(words[1])
    return tuple(dict.fromkeys(found))


def sweep_record_script(fault_id: str, paths: GuardPaths) -> str:
    """Revert and verify one recorded fault through its own `fire.sh` (exit 0 iff confirmed);
    a record without `fire.sh` (an arm cut short) cannot be confirmed and says so."""
    folder = paths.fault_dir(fault_id)
    q_folder = render((folder,))
    fire = render((f"{folder}/fire.sh",))
    return "\n".join(
        [
            f"if [ -f {fire} ]; then exec sh {fire} sweep; fi",
            f"if [ -d {q_folder} ]; then",
            f"  echo 'incomplete record (no fire.sh): inspect '{q_folder} >&2",
            f"  exit {UNCONFIRMED_STATUS}",
            "fi",
            "exit 0",
        ]
    )


@dataclass(frozen=True)
class Record:
    fault_id: str
    session: str
    kind: str
    deadline: int | None
    timer: str
    unconfirmed: bool


def parse_records(stdout: str) -> tuple[Record, ...]:
    found: list[Record] = []
    for line in stdout.splitlines():
        words = line.split()
        if len(words) < 7 or words[0] != "record":
            continue
        fault_id = words[1]
        if not _ID.fullmatch(fault_id):
            continue  # not a record gameday wrote; sweep leaves what it cannot name safely
        found.append(
            Record(
                fault_id=fault_id,
                session=words[2],
                kind=words[3],
                deadline=int(words[4]) if words[4].isdigit() else None,
                timer=words[5],
                unconfirmed=words[6] != "-",
            )
        )
    return tuple(found)


FILL_DIRS = ("/tmp", "/var/tmp")
"""Where fill files and io_stress directories are looked for by default; the directories a
record's own revert names are searched too."""

CLEAR_ORDER = ("stress", "paused", "qdisc", "chain", "iodir", "fill")
"""The trace kinds, in the order `clear_traces_script` clears them: stress-ng is ended before
its io directory is removed, and stopped processes are resumed before anything else changes."""

_CHAIN = re.compile(r"GAMEDAY[A-Za-z0-9_-]*")
_FILL = re.compile(r"/[A-Za-z0-9_./-]*/\.gameday-fill-[^/]*")
_IODIR = re.compile(r"(/[A-Za-z0-9_.-]+)*/\.gameday-io-[A-Za-z0-9_.-]+")
_PID = re.compile(r"[1-9][0-9]{0,9}")
_DEV = re.compile(r"[A-Za-z0-9_.@-]{1,15}")
_HANDLE = re.compile(r"67[0-9a-f]{2}:")

_DEFINE_STATE = (
    "gameday_state() { sed -n 's/^.*) \\(.\\).*$/\\1/p' \"/proc/$1/stat\" 2>/dev/null; }"
)
"""Fixed: `gameday_state PID` prints the process's state letter (`T`: stopped by a signal; `t`,
stopped by a debugger, is never resumed by gameday), nothing when it is gone. Read from /proc,
not ps: the command name may hold spaces and parentheses, so the state follows the last `) `."""

_DEFINE_STOPPED = (
    'gameday_stopped() { for p in $(cat "$1" 2>/dev/null); do'
    " case $p in ''|0*|*[!0-9]*) continue ;; esac;"
    ' if [ "$(gameday_state "$p")" = T ]; then return 0; fi; done; return 1; }'
)
"""Fixed: `gameday_stopped RECORD` is true iff a PID listed in the `.paused` record is stopped."""


def traces_script(paths: GuardPaths, extra_dirs: Sequence[str] = ()) -> str:
    """Prints one `trace <kind> <detail>` line per gameday trace found beyond the records:

        chain  <tool>:<chain>         iptables/ip6tables chains named GAMEDAY*
        fill   <path>                 fill files `.gameday-fill-*`
        iodir  <path>                 io_stress directories `.gameday-io-*`
        qdisc  <dev> <handle> <kind>  root qdiscs with gameday's handles (`67xx:`)
        stress <pid> <cmdline>        stress-ng processes whose command line or environment
                                      (`GAMEDAY_FAULT=`) says gameday started them
        paused <pid> <record>         a PID that process_pause recorded in
                                      `<state_dir>/<id>.paused` and that is still stopped

    Fill files and io directories are looked for in FILL_DIRS and `extra_dirs`. Changes nothing.
    Raises ValueError for an extra directory that is not a plain absolute path.
    """
    dirs = render(tuple(dict.fromkeys((*FILL_DIRS, *(check_state_dir(d) for d in extra_dirs)))))
    return "\n".join(
        [
            "for t in iptables ip6tables; do",
            "  command -v $t >/dev/null 2>&1 || continue",
            '  $t -w -S 2>/dev/null | awk -v t=$t \'$1 == "-N" && $2 ~ /^GAMEDAY/'
            ' { print "trace chain " t ":" $2 }\'',
            "done",
            f"for d in {dirs}; do",
            '  [ -d "$d" ] || continue',
            '  for f in "$d"/.gameday-fill-*; do [ -e "$f" ] && echo "trace fill $f"; done',
            '  for f in "$d"/.gameday-io-*; do [ -e "$f" ] && echo "trace iodir $f"; done',
            "done",
            "if command -v tc >/dev/null 2>&1; then",
            '  tc qdisc show 2>/dev/null | awk \'$3 ~ /^67[0-9a-f][0-9a-f]:$/ && $6 == "root"'
            ' { print "trace qdisc " $5 " " $3 " " $2 }\'',
            "fi",
            "for p in /proc/[0-9]*; do",
            '  c=$(tr "\\0" " " < "$p/cmdline" 2>/dev/null) || continue',
            '  case "$c" in stress-ng*) ;; *) continue ;; esac',
            '  if echo "$c" | grep -q gameday || tr "\\0" "\\n" < "$p/environ" 2>/dev/null'
            ' | grep -q "^GAMEDAY_FAULT="; then echo "trace stress ${p#/proc/} $c"; fi',
            "done",
            _DEFINE_STATE,
            f"for f in {render((paths.state_dir,))}/*.paused; do",
            '  [ -f "$f" ] || continue',
            '  for p in $(cat "$f" 2>/dev/null); do',
            "    case $p in ''|0*|1|*[!0-9]*) continue ;; esac",
            '    if [ "$(gameday_state "$p")" = T ]; then echo "trace paused $p $f"; fi',
            "  done",
            "done",
            "true",
        ]
    )


@dataclass(frozen=True)
class Trace:
    kind: str
    """One of CLEAR_ORDER (`chain`, `fill`, `iodir`, `qdisc`, `stress`, `paused`)."""
    detail: str


def parse_traces(stdout: str) -> tuple[Trace, ...]:
    """The `trace` lines of `traces_script`'s output, each once, in order."""
    found: list[Trace] = []
    for line in stdout.splitlines():
        words = line.split(None, 2)
        if len(words) == 3 and words[0] == "trace":
            found.append(Trace(words[1], words[2]))
    return tuple(dict.fromkeys(found))


def clear_traces_script(traces: Sequence[Trace], paths: GuardPaths) -> str:
    """Remove the traces that are gameday's by name; a trace whose detail does not pass its
    strict pattern is left alone (and a re-scan then still reports it).

    In CLEAR_ORDER: gameday's stress-ng processes are killed (each marked one, by pid); stopped
    PIDs of a `.paused` record in `paths.state_dir` are resumed (SIGCONT, only while still
    stopped), and the record is removed once none of its PIDs is stopped (waiting up to 2 s);
    root qdiscs with gameday's handles are deleted; GAMEDAY chains are unhooked, flushed and
    deleted; `.gameday-io-*` directories and `.gameday-fill-*` files are removed.
    """
    lines: dict[str, list[str]] = {kind: [] for kind in CLEAR_ORDER}
    records: dict[str, None] = {}
    for trace in traces:
        if trace.kind == "paused":
            target = _paused_target(trace.detail, paths)
            if target is not None:
                pid, record = target
                lines["paused"].append(
                    f'if [ "$(gameday_state {pid})" = T ]; then kill -CONT {pid}; fi'
                )
                records[record] = None
        elif trace.kind in lines:
            lines[trace.kind].extend(_clear_lines(trace))
    for record in records:
        q_record = render((record,))
        lines["paused"].extend(
            [
                f"i=0; while gameday_stopped {q_record} && [ $i -lt 20 ]; do"
                " sleep 0.1; i=$((i + 1)); done",
                f"gameday_stopped {q_record} || rm -f -- {q_record}",
            ]
        )
    if lines["paused"]:
        lines["paused"][:0] = [_DEFINE_STATE, _DEFINE_STOPPED]
    return "\n".join(["true", *(line for kind in CLEAR_ORDER for line in lines[kind]), "true"])


def _paused_target(detail: str, paths: GuardPaths) -> tuple[str, str] | None:
    """(pid, record) of a `paused` trace when the pid is a plain pid other than 1 and the
    record is `<state_dir>/<id>.paused`; None otherwise."""
    words = detail.split()
    if len(words) != 2:
        return None
    pid, record = words
    folder, _, name = record.rpartition("/")
    stem = name.removesuffix(".paused")
    if (
        not _PID.fullmatch(pid)
        or pid == "1"
        or folder != paths.state_dir
        or stem == name
        or not _ID.fullmatch(stem)
        or ".." in stem
    ):
        return None
    return pid, record


def _clear_lines(trace: Trace) -> list[str]:
    """The lines that remove one chain, fill, iodir, qdisc or stress trace; none when its detail
    is not gameday's by name."""
    if trace.kind == "chain":
        tool, _, chain = trace.detail.partition(":")
        if tool in ("iptables", "ip6tables") and _CHAIN.fullmatch(chain):
            return _drop_chain_lines(tool, chain)
    elif trace.kind == "fill" and _FILL.fullmatch(trace.detail):
        return [render(("rm", "-f", "--", trace.detail))]
    elif (
        trace.kind == "iodir"
        and _IODIR.fullmatch(trace.detail)
        and not {".", ".."} & set(trace.detail.split("/"))
    ):
        # rm does not follow a symlink named as its operand: a planted link loses only itself
        return [render(("rm", "-rf", "--", trace.detail))]
    elif trace.kind == "qdisc":
        words = trace.detail.split()
        if len(words) >= 2 and _DEV.fullmatch(words[0]) and _HANDLE.fullmatch(words[1]):
            return [
                render(("tc", "qdisc", "del", "dev", words[0], "root", "handle", words[1]))
                + " 2>/dev/null"
            ]
    elif trace.kind == "stress":
        pid = trace.detail.split()[0] if trace.detail.split() else ""
        if _PID.fullmatch(pid) and pid != "1":
            # each marked process is listed (workers inherit the marker): kill by pid only,
            # never a process group that might hold processes gameday did not start
            return [f"kill -KILL {pid} 2>/dev/null"]
    return []


def _drop_chain_lines(tool: str, chain: str) -> list[str]:
    """Unhook every rule that jumps to `chain` (in any table's built-in chains), flush, delete."""
    q_chain = render((chain,))
    return [
        f"for table in filter nat mangle raw; do"
        f" {tool} -w -t $table -S 2>/dev/null | grep -E -- '-j '{q_chain}'( |$)'"
        " | sed 's/^-A /-D /' | while IFS= read -r rule; do"
        # xargs splits the rule as iptables quoted it, without any shell expansion
        f" printf '%s\\n' \"$rule\" | xargs {tool} -w -t $table; done; done",
        f"for table in filter nat mangle raw; do {tool} -w -t $table -F {q_chain} 2>/dev/null;"
        f" {tool} -w -t $table -X {q_chain} 2>/dev/null; done",
        "true",
    ]
