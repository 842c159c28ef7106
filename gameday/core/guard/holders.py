"""Which live session holds a host: its lease watcher's file, `<state>/leases/<session-id>`.

A session's watcher writes the file when it starts (line 1: its pid; line 2: who holds the
host: `scenario=… since=<epoch> machine=… user=…`) and removes it after its last revert. A
session is *live* on a host while that pid still runs the watcher of that session, i.e. while
its console renews the lease; a file whose watcher is gone (killed, or the host rebooted) is
not. Preflight refuses a host held by another live session; sweep leaves a live session's
faults alone unless told `--force`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from gameday.core.shell import render

_UNSAFE = re.compile(r"[^A-Za-z0-9._:@+=/-]")


def holder_text(scenario_id: str, since: float, machine: str, user: str) -> str:
    """The one line a watcher records about its console (plain words, no shell metacharacter)."""
    fields = {"scenario": scenario_id, "since": str(int(since)), "machine": machine, "user": user}
    return " ".join(f"{k}={_UNSAFE.sub('?', v)[:64] or '?'}" for k, v in fields.items())


def leases_dir(state_dir: str) -> str:
    return f"{state_dir}/leases"


def live_leases_script(state_dir: str) -> list[str]:
    """Shell lines printing `held <session> <holder text>` per session whose watcher runs."""
    leases = render((leases_dir(state_dir),))
    return [
        f"for f in {leases}/*; do",
        '  [ -f "$f" ] || continue',
        '  s=${f##*/}; pid=; info=; { read -r pid; read -r info; } < "$f"',
        '  case $pid in ""|*[!0-9]*) continue ;; esac',
        '  if [ -r "/proc/$pid/cmdline" ]; then',
        "    tr '\\000' ' ' < \"/proc/$pid/cmdline\" | grep -qF -- \"$s\" || continue",
        '  else kill -0 "$pid" 2>/dev/null || continue',
        "  fi",
        '  echo "held $s $info"',
        "done",
    ]


@dataclass(frozen=True)
class Holder:
    """A live session on a host, as its watcher's lease file tells."""

    session: str
    scenario: str = "?"
    since: float | None = None
    machine: str = "?"
    user: str = "?"

    def sentence(self) -> str:
        """`session S (scenario X, since 21:40:03 UTC, from machine M as user U)`."""
        since = time.strftime("%H:%M:%S UTC", time.gmtime(self.since)) if self.since else "?"
        return (
            f"session {self.session} (scenario {self.scenario}, since {since}, "
            f"from machine {self.machine} as user {self.user})"
        )


def parse_held(stdout: str) -> tuple[Holder, ...]:
    """The `held …` lines of `live_leases_script`'s output."""
    found: list[Holder] = []
    for line in stdout.splitlines():
        words = line.split()
        if len(words) < 2 or words[0] != "held":
            continue
        fields = dict(w.partition("=")[::2] for w in words[2:] if "=" in w)
        since = fields.get("since", "")
        found.append(
            Holder(
                session=words[1],
                scenario=fields.get("scenario", "?"),
                since=float(since) if since.isdigit() else None,
                machine=fields.get("machine", "?"),
                user=fields.get("user", "?"),
            )
        )
    return tuple(found)


def refusal(holder: Holder) -> str:
    """Why preflight refuses a host another live session holds, and what to do."""
    return (
        f"held by another live session: {holder.sentence()}. Nothing was armed. Wait until "
        "that session ends, or ask its facilitator to stop it (`gameday abort` on that "
        "machine); do not sweep a host a live session looks after"
    )
