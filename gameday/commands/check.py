"""`gameday check SCENARIO -i INVENTORY`: preflight only, the rehearsal before a GameDay.

Connects to the scenario's targets (and the hosts its probes name), runs every capability
check and samples each probe once for a baseline; journals nothing as a session, arms and
injects nothing. Prints, per host and per probe, what passed and why not.
Exit status: 0 when every check passed, 2 otherwise (or on bad input).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from gameday.exit_codes import ExitCode


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check",
        help="preflight only: connect, run every capability check and one baseline probe; "
        "inject nothing",
        description=(
            "Rehearse a scenario the day before: connect to its targets, run every capability "
            "check and sample each steady-state probe once. Nothing is armed, injected or "
            "journaled. Exit status: 0 when every check passed, 2 when any failed or on bad "
            "input."
        ),
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario file (YAML)")
    parser.add_argument("-i", "--inventory", required=True, metavar="INVENTORY")
    parser.add_argument("--seed", type=int, help="seed of the blast-radius pick")
    parser.add_argument(
        "--trust-new-hosts",
        action="store_true",
        help="record unknown host keys in the inventory's known_hosts instead of refusing",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gameday.app.live import LiveOptions, live_check, load_plan
    from gameday.core.session.paths import default_journal_dir
    from gameday.engine.preflight import result_line, summary_line

    plan = load_plan(args.scenario, args.inventory, args.seed)
    options = LiveOptions(journal_dir=default_journal_dir(), trust_new_hosts=args.trust_new_hosts)
    targets = ", ".join(plan.selection.targets)
    print(f"Preflight only: {plan.scenario.id} on {targets} (nothing is injected)")
    report = live_check(plan, options)
    width = max((len(r.subject) for r in report.results), default=0)
    for result in report.results:
        print("  " + result_line(result, width))
    print(summary_line(report), file=sys.stdout if report.ok else sys.stderr)
    return ExitCode.OK if report.ok else ExitCode.BAD_INPUT
