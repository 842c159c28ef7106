"""`gameday sessions [--journal-dir DIR] [--json]`: past and running sessions, newest first.

Built from the journals alone (see `gameday.core.history`); a session without an end is
"running" when its control file names a live gameday process, else "interrupted".
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gameday.core.history import SessionSummary
from gameday.exit_codes import ExitCode

_MAX_TARGETS = 3


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sessions",
        help="list past and running sessions from their journals",
        description=(
            "List every session journaled in the journal directory, newest first: id, "
            "scenario, start (UTC), duration, verdict (or running / interrupted / stopped in "
            "preflight), the exit status `gameday run` gave, targets and the findings file "
            "last exported. Exit 0 (an empty list too)."
        ),
    )
    parser.add_argument("--journal-dir", metavar="DIR", help="where the journals are")
    parser.add_argument("--json", action="store_true", help="a JSON array, one object a session")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gameday.app.headless import journal_is_running
    from gameday.core.history import list_sessions, summary_json
    from gameday.core.session.paths import default_journal_dir

    directory = Path(args.journal_dir) if args.journal_dir else default_journal_dir()
    summaries = list_sessions(directory, journal_is_running)
    if args.json:
        body = [summary_json(s) for s in summaries]
        sys.stdout.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        return ExitCode.OK
    if not summaries:
        print(f"no sessions in {directory}", file=sys.stderr)
        return ExitCode.OK
    sys.stdout.write(render_table(summaries))
    return ExitCode.OK


def render_table(summaries: list[SessionSummary]) -> str:
    """Aligned columns, a header line first; unreadable journals say why on their line."""
    header = ("STARTED (UTC)", "SESSION", "SCENARIO", "DURATION", "VERDICT", "EXIT", "TARGETS")
    rows = [_row(s) for s in summaries]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for cells, summary in zip([header, *rows], [None, *summaries], strict=True):
        line = "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
        if summary is not None and summary.findings_file:
            line += f"  findings: {_printable(summary.findings_file)}"
        if summary is not None and summary.ladder:
            line += f"  {_printable(summary.ladder)}"
        if summary is not None and summary.problem:
            line += f"  ({_printable(summary.problem)})"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _row(summary: SessionSummary) -> tuple[str, ...]:
    from gameday.core.findings.text import utc_iso
    from gameday.core.history import duration_text, outcome_text

    started = utc_iso(summary.started)[:16].replace("T", " ") if summary.started else "-"
    targets = list(summary.targets[:_MAX_TARGETS])
    if len(summary.targets) > _MAX_TARGETS:
        targets.append(f"+{len(summary.targets) - _MAX_TARGETS}")
    return (
        started,
        _printable(summary.session_id),
        _printable(summary.scenario_id) or "-",
        duration_text(summary.duration),
        outcome_text(summary),
        "-" if summary.exit_status is None else str(summary.exit_status),
        _printable(",".join(targets)) or "-",
    )


def _printable(text: str) -> str:
    """A journal is a file anyone may have edited: no escape sequence reaches the terminal."""
    return "".join(c if c.isprintable() else "?" for c in text)
