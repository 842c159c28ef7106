"""`gameday recover JOURNAL`: revert everything a session's journal shows as not verified-reverted.

Exit 0 when every fault is confirmed gone (or nothing was open), 4 when some revert could not
be confirmed, 2 for a bad journal or inventory.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gameday.exit_codes import ExitCode


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "recover",
        help="revert every fault a session's journal shows as not verified reverted",
        description=(
            "Connect to the hosts of a session's journal that may still carry a fault and "
            "revert each one (the host's own record first, the journal's copy of the revert "
            "commands otherwise), verify, and append the outcome to the journal. Exit status "
            "0 when all are confirmed gone, 4 when some could not be confirmed."
        ),
    )
    parser.add_argument("journal", metavar="JOURNAL", help="the session's .jsonl journal")
    parser.add_argument("-i", "--inventory", help="inventory (default: the one the session used)")
    parser.add_argument("--trust-new-hosts", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return recover_and_report(Path(args.journal), args.inventory, args.trust_new_hosts)


def recover_and_report(journal: Path, inventory_path: str | None, trust_new_hosts: bool) -> int:
    from gameday.adapters.ssh import SshConnector
    from gameday.adapters.ssh_config import SshOptions
    from gameday.core.session.control import session_mode
    from gameday.engine.recovery import inventory_for, open_faults, recover

    if session_mode(journal) == "demo":  # simulated hosts: there is nothing to connect to
        print(f"{journal}: a demo journal; a demo touches no host: nothing to recover")
        return ExitCode.OK
    _, journal_inventory, faults = open_faults(journal)
    if not faults:
        print(f"{journal}: nothing to recover: every fault is verified reverted")
        return ExitCode.OK
    inventory = inventory_for(journal_inventory, inventory_path)
    connector = SshConnector(inventory, SshOptions(trust_new_hosts=trust_new_hosts))
    outcomes = recover(
        journal,
        connector.open,
        sudo_of=lambda h: bool(inventory.hosts[h].sudo) if h in inventory.hosts else False,
    )
    clean = True
    for outcome in sorted(outcomes, key=lambda o: o.host):
        for fault_id in outcome.reverted:
            print(f"{outcome.host}: {fault_id}: reverted, verified")
        for fault_id, why in outcome.unconfirmed.items():
            clean = False
            print(f"{outcome.host}: {fault_id}: NOT CONFIRMED: {why}")
    if not clean:
        print(
            "Some reverts are not confirmed: check those hosts by hand, or run "
            "`gameday sweep -i INVENTORY HOST` once they are reachable."
        )
        return ExitCode.REVERT_UNCONFIRMED
    return ExitCode.OK
