"""`gameday watch [JOURNAL]`: a read-only live view of a session, from its journal alone.

JOURNAL is a journal file or a session id; `--journal-dir DIR` (or neither) follows the newest
session of a directory that has not ended and moves to the next one when it starts. The view
never connects to a host or a metrics source. `--web` serves the same view to browsers
(textual-serve; one `gameday watch` process per browser tab), on 127.0.0.1 unless `--host`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from gameday.errors import InputError
from gameday.exit_codes import ExitCode


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "watch",
        help="follow a running session read-only: gauges, hosts, timeline, verdict",
        description=(
            "Show a session live from its journal file alone, read-only: the steady-state "
            "gauges, the hosts and their faults, the timeline, the alarms and the verdict. It "
            "never contacts a host or Prometheus, so anyone who can read the journal can watch. "
            "Without JOURNAL, follow the newest running session of --journal-dir (default: the "
            "journal directory) and move to the next session when it starts. There is no kill "
            "switch here: pull it in the console (ctrl+k) or with gameday abort."
        ),
    )
    parser.add_argument("journal", nargs="?", metavar="JOURNAL", help="a journal or session id")
    parser.add_argument("--journal-dir", metavar="DIR", help="follow the sessions of this folder")
    parser.add_argument("--web", action="store_true", help="serve the view to browsers instead")
    parser.add_argument(
        "--host", default="127.0.0.1", help="with --web: address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8000, help="with --web: port to listen on (default 8000)"
    )
    parser.add_argument(
        "--public-url",
        metavar="URL",
        help="with --web: the address browsers use, when not http://HOST:PORT (a proxy, a tunnel "
        "to another local port)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    target_args = _target_args(args)
    if args.web:
        return _serve(args, target_args)
    if not (sys.stdout.isatty() or os.environ.get("TEXTUAL_DRIVER")):
        print("gameday: no terminal for the watch view; add --web to serve it", file=sys.stderr)
        return ExitCode.BAD_INPUT
    from gameday.ui.screens.watch import WatchTarget
    from gameday.ui.watch_app import make_watch_app

    journal, directory = target_args
    app = make_watch_app(WatchTarget(journal=journal, directory=directory))
    app.run()
    return ExitCode.OK


def _target_args(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """(journal, directory): exactly one is set, both absolute (a web child may run elsewhere)."""
    from gameday.commands.export import resolve_journal
    from gameday.core.session.paths import default_journal_dir

    if args.journal and args.journal_dir:
        raise InputError("--journal-dir", 0, "", "give a JOURNAL or --journal-dir, not both")
    if args.journal:
        return resolve_journal(args.journal), None
    if not args.journal_dir:  # the default folder appears with the first session: wait for it
        return None, default_journal_dir().resolve()
    directory = Path(args.journal_dir)
    if not directory.is_dir():
        raise InputError(str(directory), 0, "", "no such journal directory (see --journal-dir)")
    return None, directory.resolve()


def _serve(args: argparse.Namespace, target: tuple[Path | None, Path | None]) -> int:
    from gameday.adapters.web import serve_watch

    if not 1 <= args.port <= 65535:
        raise InputError("--port", 0, "", f"{args.port}: expected a port from 1 to 65535")
    journal, directory = target
    child = ["watch", str(journal)] if journal else ["watch", "--journal-dir", str(directory)]
    serve_watch(child, host=args.host, port=args.port, public_url=args.public_url)
    return ExitCode.OK
