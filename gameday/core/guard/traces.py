"""Sweep's search for gameday's traces beyond the records (chains, fill files, io dirs, qdiscs,
stress-ng, paused processes) and the script that clears the ones that are gameday's by name."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from gameday.core.guard.base import ID_PATTERN, GuardPaths, check_state_dir
from gameday.core.shell import render

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
        or not ID_PATTERN.fullmatch(stem)
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
