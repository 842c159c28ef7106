"""`gameday sweep -i INVENTORY [HOST...]`: find and revert every gameday fault left on hosts.

Needs no journal. On each host (the named ones, or every host of the inventory) it reverts each
fault recorded under gameday's state directory through the record's own `fire.sh` (revert, then
verify reverted), then looks for gameday's traces beyond the records — iptables chains named
GAMEDAY*, root qdiscs with gameday's handles, `.gameday-fill-*` files and `.gameday-io-*`
directories, stress-ng processes marked by gameday, processes process_pause recorded in
`<state_dir>/*.paused` that are still stopped — removes (or resumes) them and looks again.

Exit status: 0 when every host was reached and is confirmed clean; 4 when a host could not be
reached or something could not be confirmed gone (a human must look: the report says where);
2 for bad input (inventory, unknown host name).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from gameday.core import guard
from gameday.engine.ports import CommandResult, Transport
from gameday.errors import GamedayError, InputError
from gameday.exit_codes import ExitCode

SCRIPT_TIMEOUT = 60.0


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sweep",
        help="revert every gameday fault left on hosts (exit 0 clean, 4 unconfirmed, 2 bad input)",
        description=(
            "Connect to hosts, revert every fault recorded in gameday's state directory and "
            "verify it is gone, then look for gameday traces beyond the records (iptables "
            "chains GAMEDAY*, gameday qdiscs, .gameday-fill-* files, .gameday-io-* "
            "directories, marked stress-ng processes, processes paused by process_pause), "
            "remove or resume them and look again. Needs no journal. Exit status: 0 when "
            "every host is confirmed clean, 4 when something could not be confirmed or a host "
            "could not be reached, 2 for bad input."
        ),
    )
    parser.add_argument("-i", "--inventory", required=True, help="inventory file")
    parser.add_argument(
        "hosts", nargs="*", metavar="HOST", help="hosts to sweep (default: every host)"
    )
    parser.add_argument(
        "--trust-new-hosts",
        action="store_true",
        help="record unknown host keys in the inventory's known_hosts instead of refusing",
    )
    parser.add_argument(
        "--state-dir",
        default="/var/lib/gameday",
        help="gameday's state directory on the hosts (default: /var/lib/gameday)",
    )
    parser.set_defaults(func=run)


@dataclass
class HostSweep:
    """What sweep did on one host."""

    host: str
    reached: bool = True
    error: str = ""
    reverted: list[str] = field(default_factory=list)
    """Recorded faults reverted and confirmed gone (`id (kind)`)."""
    unconfirmed: dict[str, str] = field(default_factory=dict)
    """Recorded fault or trace → why it could not be confirmed gone."""
    cleared: list[str] = field(default_factory=list)
    """Traces found beyond the records and removed."""

    @property
    def clean(self) -> bool:
        return self.reached and not self.unconfirmed and not self.error


def run(args: argparse.Namespace) -> int:
    from gameday.core.inventory import load_inventory

    inventory = load_inventory(args.inventory)
    try:
        paths = guard.GuardPaths(args.state_dir)
    except ValueError as exc:
        raise InputError("--state-dir", 0, "", str(exc)) from None
    names = list(dict.fromkeys(args.hosts)) or list(inventory.hosts)
    unknown = [name for name in names if name not in inventory.hosts]
    if unknown:
        raise InputError(inventory.file, 0, "", f"not in the inventory: {', '.join(unknown)}")
    if not names:
        print("gameday sweep: the inventory lists no hosts", file=sys.stderr)
        return ExitCode.BAD_INPUT

    from gameday.adapters.ssh import SshOptions, make_connector

    connector = make_connector(inventory, SshOptions(trust_new_hosts=args.trust_new_hosts))
    try:
        outcomes = connector.connect_all(names)
        sudo = {name: inventory.hosts[name].sudo for name in names}

        def one(name: str) -> HostSweep:
            outcome = outcomes[name]
            if outcome.transport is None:
                message = outcome.error.message if outcome.error else "not reached"
                return HostSweep(name, reached=False, error=message)
            return sweep_host(outcome.transport, sudo=sudo[name], paths=paths)

        with ThreadPoolExecutor(max_workers=min(16, len(names))) as pool:
            results = list(pool.map(one, names))
    finally:
        connector.close_all()
    for result in results:
        print(describe(result))
    return ExitCode.OK if all(r.clean for r in results) else ExitCode.REVERT_UNCONFIRMED


def sweep_host(transport: Transport, *, sudo: bool, paths: guard.GuardPaths) -> HostSweep:
    """Revert every recorded fault, then clear and re-check traces, on one host. Never raises
    for a host-side problem: it is reported in the result."""
    result = HostSweep(transport.host)
    try:
        listing = _root(transport, guard.list_records_script(paths), sudo)
        if not listing.ok:
            result.error = f"cannot read {paths.faults_dir}: {_reason(listing.stderr)}"
            return result
        fill_dirs = guard.parse_fill_dirs(listing.stdout)
        for record in guard.parse_records(listing.stdout):
            label = f"{record.fault_id} ({record.kind}, session {record.session})"
            outcome = _root(transport, guard.sweep_record_script(record.fault_id, paths), sudo)
            if outcome.ok:
                result.reverted.append(label)
            else:
                where = paths.fault_dir(record.fault_id)
                why = _reason(outcome.stderr) or f"exit status {outcome.status}"
                result.unconfirmed[label] = f"{why} (record kept in {where})"
        traces = _traces(transport, paths, fill_dirs, sudo)
        if traces:
            _root(transport, guard.clear_traces_script(traces, paths), sudo)
            left = {(t.kind, t.detail) for t in _traces(transport, paths, fill_dirs, sudo)}
            for trace in traces:
                name = f"{trace.kind} {trace.detail}"
                if (trace.kind, trace.detail) in left:
                    result.unconfirmed[name] = "still present after removal"
                else:
                    result.cleared.append(name)
    except GamedayError as exc:
        result.error = exc.message
    return result


def _traces(
    transport: Transport, paths: guard.GuardPaths, fill_dirs: Sequence[str], sudo: bool
) -> list[guard.Trace]:
    found = _root(transport, guard.traces_script(paths, fill_dirs), sudo)
    # stress-ng workers that exit between the scan and the kill are not traces
    return list(guard.parse_traces(found.stdout))


def _root(transport: Transport, script: str, sudo: bool) -> CommandResult:
    return transport.run(guard.as_root(script, sudo=sudo), timeout=SCRIPT_TIMEOUT)


def _reason(stderr: str) -> str:
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def describe(result: HostSweep) -> str:
    """One host's report, a few lines, starting with the host name."""
    if not result.reached:
        return f"{result.host}: NOT REACHED — {result.error}"
    parts: list[str] = []
    if result.error:
        parts.append(f"ERROR — {result.error}")
    if result.reverted:
        parts.append("reverted " + ", ".join(result.reverted))
    if result.cleared:
        parts.append("cleared " + ", ".join(result.cleared))
    head = f"{result.host}: " + ("; ".join(parts) if parts else "clean")
    if result.clean and parts:
        head += " — clean now"
    lines = [head]
    for what, why in result.unconfirmed.items():
        lines.append(f"  UNCONFIRMED {what}: {why} — a human must look at this host")
    return "\n".join(lines)
