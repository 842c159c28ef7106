"""Sweeping a host without any journal: the traces the catalog's faults leave, by name.

Every fault names what it changes (see docs/faults.md): iptables/ip6tables chains
`GAMEDAY-<id>-in|out`, root qdiscs `netem`/`tbf` with a handle `67xx:`, fill files
`.gameday-fill-<id>`, io_stress directories `.gameday-io-<id>`, stress-ng processes carrying
`GAMEDAY_FAULT=<id>`, and PIDs paused by process_pause in `<state_dir>/<id>.paused`.
`sweep_plan` gives idempotent lines that clear all of them and lines that verify none is left,
so a sweep can run with no record at all. Only names gameday gives are ever touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gameday.core.fault_kinds.base import HostContext, Lines, check_abs_path, wait_until
from gameday.core.fault_kinds.stress import MARKER_VARIABLE
from gameday.core.shell import render

FILL_DIRS = ("/tmp", "/var/tmp")
"""Where fill files and io_stress directories are looked for by default."""

_OUR_QDISCS = (
    "for d in /sys/class/net/*; do dev=${d##*/}; "
    'for h in $(tc qdisc show dev "$dev" 2>/dev/null | awk \'$4 == "root" && '
    '($2 == "netem" || $2 == "tbf") && $3 ~ /^67[0-9a-f][0-9a-f]:$/ {print $3}\'); do '
)
_OUR_CHAINS = (
    "for c in $($t -w 5 -S 2>/dev/null | "
    "awk '$1 == \"-N\" && $2 ~ /^GAMEDAY-[A-Za-z0-9-]+$/ {print $2}'); do "
)
_MARKED = f"$(grep -l -s -z -e '^{MARKER_VARIABLE}=' /proc/[0-9]*/environ)"
_MARKED_Q = f'"{_MARKED}"'


@dataclass(frozen=True)
class SweepPlan:
    clear: tuple[str, ...]
    """Idempotent lines, in order: end marked stress-ng, resume paused PIDs, remove qdiscs,
    chains, io directories and fill files. Each exits 0 even when there is nothing to do."""
    verify: tuple[str, ...]
    """Each exits 0 iff no trace of its sort is left; stderr names what is."""


def sweep_plan(ctx: HostContext, dirs: Sequence[str] = FILL_DIRS) -> SweepPlan:
    """The lines that clear every gameday trace on a host, and those that verify it.

    `dirs` are searched for fill files and io_stress directories (a record's own paths should
    be added by the caller). Raises ValueError on a directory that is not absolute and clean.
    """
    lines = Lines(ctx, "sweep")
    where = render(tuple(dict.fromkeys(check_abs_path(d) for d in dirs)))
    paused = f"{render((lines.state_dir.rstrip('/'),))}/*.paused"
    names = (
        f'for d in {where}; do for x in "$d"/.gameday-fill-* "$d"/.gameday-io-*; do '
        '[ -e "$x" ] && echo "$x"; done; done'
    )
    stopped = (
        f'for f in {paused}; do [ -e "$f" ] || continue; for p in $(cat "$f"); do '
        "s=$(ps -o stat= -p \"$p\" | tr -d ' '); case $s in T*) "
    )
    clear = (
        f'for f in {_MARKED}; do p=${{f#/proc/}}; kill -KILL "${{p%/environ}}" 2>/dev/null; '
        "done; true",
        f'{stopped}kill -CONT "$p" ;; esac; done; rm -f "$f"; done; true',
        f'{_OUR_QDISCS}tc qdisc del dev "$dev" root handle "$h"; done; done; true',
        "for t in iptables ip6tables; do command -v $t >/dev/null 2>&1 || continue; "
        f"{_OUR_CHAINS}for b in INPUT OUTPUT FORWARD; do for _ in 1 2 3 4 5 6 7 8; do "
        '$t -w 5 -D $b -j "$c" 2>/dev/null || break; done; done; '
        '$t -w 5 -F "$c" 2>/dev/null; $t -w 5 -X "$c" 2>/dev/null; done; done; true',
        f'{names} | while IFS= read -r x; do rm -rf "$x"; done; true',
    )
    left = " >&2; exit 1; }"
    verify = (
        f'{wait_until(f"[ -z {_MARKED_Q} ]", 20)} || {{ echo "gameday stress-ng still runs"{left}',
        f'{stopped}echo "PID $p is still paused" >&2; exit 1 ;; esac; done; done; true',
        f'{_OUR_QDISCS}echo "qdisc $h is still on $dev" >&2; exit 1; done; done; true',
        "for t in iptables ip6tables; do command -v $t >/dev/null 2>&1 || continue; "
        f'{_OUR_CHAINS}echo "$t chain $c is still there" >&2; exit 1; done; done; true',
        f'found=$({names}); [ -z "$found" ] || {{ echo "still there: $found"{left}',
    )
    return SweepPlan(
        clear=tuple(lines.sh(body) for body in clear),
        verify=tuple(lines.sh(body) for body in verify),
    )
