"""`gameday lab up|down|status`: a real fleet on this machine for drills and tests.

Needs root on Linux; anywhere else it stops with a LabError (exit 2).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gameday.exit_codes import ExitCode


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "lab",
        help="start, check or remove a real practice fleet on this machine (root, Linux)",
        description=(
            "A lab is a small fleet on this machine: each host is its own network, PID, mount "
            "and UTS namespace running sshd, node_exporter and a demo 'shop' service under "
            "load, all scraped by a local Prometheus. Files go to /var/lib/gameday-lab/NAME "
            "unless --dir says otherwise."
        ),
    )
    parser.set_defaults(func=lambda args: _help(parser))
    actions = parser.add_subparsers(dest="lab_command", metavar="ACTION")

    up = actions.add_parser("up", help="create the lab, or repair it if it exists")
    _common(up)
    up.add_argument("--hosts", type=int, default=None, help="number of hosts (default 3)")
    up.add_argument(
        "--prometheus-port",
        type=int,
        default=9390,
        help="Prometheus listens on 127.0.0.1:PORT (default 9390)",
    )
    up.add_argument(
        "--loadgen-port",
        type=int,
        default=None,
        help="the load generator's metrics port (default: Prometheus port + 1)",
    )
    up.set_defaults(func=_up)

    down = actions.add_parser("down", help="remove everything the lab made")
    _common(down)
    down.set_defaults(func=_down)

    status = actions.add_parser("status", help="show each host's services and gameday faults")
    _common(status)
    status.set_defaults(func=_status)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--name",
        default="gdlab",
        help="lab name, 1-8 of [a-z0-9]; names its namespaces and bridge (default gdlab)",
    )
    parser.add_argument(
        "--dir", type=Path, default=None, help="lab directory (default /var/lib/gameday-lab/NAME)"
    )


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return ExitCode.BAD_INPUT


def _lab_dir(args: argparse.Namespace) -> Path:
    from gameday import lab

    return Path(args.dir).absolute() if args.dir is not None else lab.default_dir(args.name)


def _say(message: str) -> None:
    print(message, flush=True)


def _up(args: argparse.Namespace) -> int:
    from gameday import lab

    config = lab.LabConfig(
        name=args.name,
        dir=args.dir,
        hosts=args.hosts,
        prometheus_port=args.prometheus_port,
        loadgen_port=args.loadgen_port,
    )
    info = lab.up(config, say=_say)
    print()
    print(lab.usage(info))
    return ExitCode.OK


def _down(args: argparse.Namespace) -> int:
    from gameday import lab
    from gameday.lab import system

    system.require_root_linux()
    lab_dir = _lab_dir(args)
    if not lab.down(lab_dir, say=_say):
        print(f"No lab in {lab_dir}: nothing to remove.")
    return ExitCode.OK


def _status(args: argparse.Namespace) -> int:
    from gameday import lab

    report = lab.status(_lab_dir(args))
    print(lab.render_status(report))
    return ExitCode.OK if report.healthy else ExitCode.DEVIATED
