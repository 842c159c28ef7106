"""`gameday console -i INVENTORY`: the facilitator's console on a real fleet, over SSH.

Scenarios are read from a folder (default ./scenarios); each session is journaled like a
headless run, and `gameday abort` reaches it too.
"""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "console",
        help="start the console on a real inventory: plan, start, watch, kill switch, findings",
        description=(
            "Start the interactive console. Pick a scenario, read its blast radius, start it, "
            "watch the steady state and take notes; ctrl+k reverts every fault on every host."
        ),
    )
    parser.add_argument("-i", "--inventory", required=True, metavar="INVENTORY")
    parser.add_argument(
        "--scenarios", default="scenarios", metavar="DIR", help="folder of scenario files"
    )
    parser.add_argument("--journal-dir", metavar="DIR", help="where journals are written")
    parser.add_argument("--seed", type=int, help="seed of the blast-radius pick")
    parser.add_argument("--environment", default="", help="e.g. staging (shown in the findings)")
    parser.add_argument(
        "--trust-new-hosts",
        action="store_true",
        help="record unknown host keys in the inventory's known_hosts instead of refusing",
    )
    parser.add_argument(
        "--notify",
        action="append",
        default=[],
        metavar="URL",
        help="also POST each notification as JSON to this webhook (repeatable)",
    )
    parser.add_argument(
        "--confirm-over",
        type=int,
        default=10,
        metavar="N",
        help="starting on more than N hosts needs the scenario id typed (default 10; "
        "production-tagged targets always do)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gameday.app.live import notify_targets
    from gameday.app.live_backend import LiveBackend
    from gameday.core.formats.inventory_loader import load_inventory
    from gameday.core.roles import default_team_file
    from gameday.core.session.paths import default_journal_dir
    from gameday.errors import InputError
    from gameday.ui.launch import run_console

    # A bad inventory or --notify URL is said here, before the screen opens.
    notify_targets(load_inventory(args.inventory), args.notify)
    scenarios = Path(args.scenarios)
    if not scenarios.is_dir():
        raise InputError(args.scenarios, 0, "", "no such folder of scenarios (see --scenarios)")
    backend = LiveBackend(
        inventory=Path(args.inventory),
        scenario_dir=scenarios,
        journal_dir=Path(args.journal_dir) if args.journal_dir else default_journal_dir(),
        trust_new_hosts=args.trust_new_hosts,
        seed=args.seed,
        environment=args.environment,
        notify_urls=tuple(args.notify),
        team_file=default_team_file(),
    )
    return run_console(backend, confirm_over=args.confirm_over)
