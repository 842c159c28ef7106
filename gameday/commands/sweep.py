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
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gameday.core import guard
from gameday.engine.sweep import HostSweep, sweep_host
from gameday.errors import InputError
from gameday.exit_codes import ExitCode


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
            "could not be reached, 2 for bad input. Faults of a session whose console is still "
            "running (its lease is renewed) are left alone, and said so, unless --force."
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
        "--force",
        action="store_true",
        help="also revert faults of sessions whose console still renews their lease",
    )
    parser.add_argument(
        "--state-dir",
        default="/var/lib/gameday",
        help="gameday's state directory on the hosts (default: /var/lib/gameday)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gameday.core.formats.inventory_loader import load_inventory

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

    from gameday.adapters.ssh import make_connector
    from gameday.adapters.ssh_config import SshOptions

    connector = make_connector(inventory, SshOptions(trust_new_hosts=args.trust_new_hosts))
    try:
        outcomes = connector.connect_all(names)
        sudo = {name: inventory.hosts[name].sudo for name in names}

        def one(name: str) -> HostSweep:
            outcome = outcomes[name]
            if outcome.transport is None:
                message = outcome.error.message if outcome.error else "not reached"
                return HostSweep(name, reached=False, error=message)
            return sweep_host(outcome.transport, sudo=sudo[name], paths=paths, force=args.force)

        with ThreadPoolExecutor(max_workers=min(16, len(names))) as pool:
            results = list(pool.map(one, names))
    finally:
        connector.close_all()
    for result in results:
        print(describe(result))
    return ExitCode.OK if all(r.clean for r in results) else ExitCode.REVERT_UNCONFIRMED


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
    nothing = "nothing reverted" if result.left_alone else "clean"
    head = f"{result.host}: " + ("; ".join(parts) if parts else nothing)
    if result.clean and parts:
        head += " — clean now"
    lines = [head]
    for what, why in result.unconfirmed.items():
        lines.append(f"  UNCONFIRMED {what}: {why} — a human must look at this host")
    for what, why in result.left_alone.items():
        lines.append(f"  {what}: {why}")
    return "\n".join(lines)
