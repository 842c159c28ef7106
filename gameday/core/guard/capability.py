"""The capability probe: what the guard can use on a host (lease runner, timer, state dir)."""

from __future__ import annotations

from dataclasses import dataclass

from gameday.core.guard import holders
from gameday.core.guard.base import ID_PATTERN, GuardPaths, LeaseRunner, TimerKind
from gameday.core.guard.records import each_unconfirmed_record
from gameday.core.shell import render


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
    recorded: tuple[tuple[str, str], ...] = ()
    """(fault id, session) of each fault recorded on the host and not confirmed reverted."""

    def left_behind(self, session_id: str) -> tuple[tuple[str, str], ...]:
        """The recorded faults of other sessions that no live session looks after: their
        revert was never confirmed, so they may still be active."""
        live = {holder.session for holder in self.held}
        return tuple(
            (fault_id, owner)
            for fault_id, owner in self.recorded
            if owner != session_id and owner not in live
        )

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
            # builtins where they do (every host is probed at once): the effective uid from
            # /proc, `id` only where there is none
            'uid=; { while read -r key real effective rest; do [ "$key" = Uid: ]'
            " && uid=$effective && break; done < /proc/self/status; } 2>/dev/null",
            '[ -n "$uid" ] || uid=$(id -u)',
            'echo "uid=$uid"',
            "if command -v bash >/dev/null 2>&1; then echo lease=bash;"
            " elif command -v python3 >/dev/null 2>&1; then echo lease=python3; fi",
            "if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1;"
            " then echo timer=systemd;"
            " elif command -v setsid >/dev/null 2>&1; then echo timer=setsid; fi",
            f"if {{ [ -d {faults} ] || mkdir -p {faults} 2>/dev/null; }} && [ -w {faults} ];"
            " then echo state=writable; fi",
            *holders.live_leases_script(paths.state_dir),
            *each_unconfirmed_record(paths, 'echo "recorded $id $owner"'),
        ]
    )


def parse_recorded(stdout: str) -> tuple[tuple[str, str], ...]:
    """The `recorded <fault id> <session>` lines of `probe_script`'s output (plain ids only)."""
    found: list[tuple[str, str]] = []
    for line in stdout.splitlines():
        words = line.split()
        if len(words) == 3 and words[0] == "recorded" and all(map(ID_PATTERN.fullmatch, words[1:])):
            found.append((words[1], words[2]))
    return tuple(found)


def left_behind_refusal(fault_id: str, session: str) -> str:
    """Why preflight refuses a host where another session's fault may still be active."""
    return (
        f"fault {fault_id} of session {session} is still recorded on this host and its revert "
        "was never confirmed: it may still be active. Nothing was armed. Run `gameday sweep` "
        "on this host first (it reverts the fault again and confirms it)"
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
        recorded=parse_recorded(stdout),
    )
