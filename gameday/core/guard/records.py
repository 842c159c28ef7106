"""The fault records left on a host: sweep's view of them, how to revert one by its own
`fire.sh`."""

from __future__ import annotations

from dataclasses import dataclass

from gameday.core.guard.base import ID_PATTERN, PATH_PATTERN, UNCONFIRMED_STATUS, GuardPaths
from gameday.core.shell import render


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


def each_unconfirmed_record(paths: GuardPaths, *body: str) -> list[str]:
    """Shell lines running `body` for each record not confirmed gone, with `$id` its fault id
    and `$owner` its session (builtins only: the probe and the arm run on every host at once)."""
    return [
        f"for d in {render((paths.faults_dir,))}/*/; do",
        '  [ -f "$d/session" ] && [ ! -e "$d/confirmed" ] || continue',
        '  owner=; { read -r owner < "$d/session"; } 2>/dev/null || true',
        "  id=${d%/}; id=${id##*/}",
        *(f"  {line}" for line in body),
        "done",
    ]


def parse_fill_dirs(stdout: str) -> tuple[str, ...]:
    """Directories named by `filldir` lines of `list_records_script` (plain paths only)."""
    found: list[str] = []
    for line in stdout.splitlines():
        words = line.split()
        if len(words) == 2 and words[0] == "filldir" and PATH_PATTERN.fullmatch(words[1]):
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
        if not ID_PATTERN.fullmatch(fault_id):
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
