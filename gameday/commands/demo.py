"""`gameday demo`: the console on a simulated fleet. Needs no root and contacts nothing (only
a `--notify` webhook, when given).

The real engine, journal and findings run over six in-memory hosts whose metrics react to the
faults injected on them. Journals go to a per-user demo directory (or `--journal-dir`).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gameday.core.formats.inventory import NotifyTarget


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="start the console on a built-in simulated fleet (no root, no remote host)",
        description=(
            "Start the console on a simulated six-host fleet with four packaged scenarios. "
            "Faults, probes and reverts are simulated in memory; the engine, the journal and "
            "the findings document are the real ones."
        ),
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the simulated metrics")
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="FACTOR",
        help="run the demo's clock this many times faster than real time (default 1)",
    )
    parser.add_argument("--journal-dir", metavar="DIR", help="where the demo's journals go")
    parser.add_argument(
        "--notify",
        action="append",
        default=[],
        metavar="URL",
        help="POST each notification of the demo's sessions as JSON to this webhook (repeatable)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gameday.app.demo import DemoBackend, DemoOptions
    from gameday.core.roles import default_team_file
    from gameday.errors import InputError
    from gameday.ui.launch import run_console

    if not 0.1 <= args.speed <= 100:
        raise InputError("--speed", 0, "", f"{args.speed:g}: expected a factor from 0.1 to 100")
    options = DemoOptions(
        seed=args.seed,
        speed=args.speed,
        journal_dir=Path(args.journal_dir) if args.journal_dir else None,
    )
    notify: tuple[NotifyTarget, ...] = ()
    if args.notify:  # the live wiring (and the engine with it) only when asked for
        from gameday.app.live import notify_targets
        from gameday.core.formats.inventory import Inventory

        notify = notify_targets(Inventory(file="demo", hosts={}, groups={}), args.notify)
    backend = DemoBackend(options, team_file=default_team_file(), notify=notify)
    return run_console(backend)
