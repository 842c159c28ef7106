"""`gameday` entry point: parses the command line and maps errors to exit codes.

Each command lives in `gameday.commands.<name>` and exposes `register(subparsers)`; command
modules import their heavy dependencies (paramiko, textual) inside their handlers so that
`gameday --help` and `gameday validate` start fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from gameday import __version__
from gameday.errors import GamedayError
from gameday.exit_codes import ExitCode

COMMANDS = (
    "validate",
    "preview",
    "check",
    "lab",
    "sweep",
    "recover",
    "run",
    "abort",
    "export",
    "watch",
    "sessions",
    "console",
    "demo",
)


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad flags already; this only makes the message say what to do."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(ExitCode.BAD_INPUT, f"gameday: error: {message}\n")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command; of only the named one when `argv` starts with a command.

    A command module imports what its options need (`run` the plan, `sweep` the guard's
    scripts...): all of them together take ~100 ms of CPU, which `gameday demo` would spend
    before its first frame. Anything else first (`--help`, a typo) gets every command, so
    help and errors list them all.
    """
    names = (argv[0],) if argv and argv[0] in COMMANDS else COMMANDS
    parser = _Parser(
        prog="gameday",
        description="A terminal GameDay console: plan, inject and revert faults safely.",
    )
    parser.add_argument("--version", action="version", version=f"gameday {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in names:
        module = importlib.import_module(f"gameday.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from gameday.adapters.logfile import quiet_libraries

    quiet_libraries()  # before paramiko is imported: its warnings too go to the session log
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return ExitCode.OK
    try:
        return int(args.func(args))
    except GamedayError as exc:
        print(f"gameday: {exc.title}: {exc.message}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    except KeyboardInterrupt:
        print("gameday: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return ExitCode.OK
    except Exception as exc:  # the last line of defence: a user never sees a traceback
        if os.environ.get("GAMEDAY_DEBUG"):
            raise
        print(
            f"gameday: internal error: {type(exc).__name__}: {exc}\n"
            "(this is a bug in gameday; run again with GAMEDAY_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 70


if __name__ == "__main__":
    sys.exit(main())
