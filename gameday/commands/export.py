"""`gameday export JOURNAL`: the findings document of a session, from its journal alone.

Markdown by default (`--format json` for tooling; `-o FILE` picks the format from `.json` /
`.md` when `--format` is not given), on stdout unless `-o FILE`; `--grafana FILE` also writes
the timeline as Grafana annotations. JOURNAL is a journal path, or a session id looked up in
the default journal directory. Exits 2 with a sentence (no traceback) when the journal is
missing or malformed; a torn last line is not an error (the document says so).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from gameday.errors import InputError
from gameday.exit_codes import ExitCode


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "export",
        help="write the findings document of a session from its journal",
        description="Build the findings document (Markdown or JSON) from a session's journal.",
    )
    parser.add_argument("journal", metavar="JOURNAL", help="a journal file, or a session id")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    parser.add_argument(
        "--format",
        choices=("md", "json"),
        help="md (default) or json; with -o, taken from the file's suffix when not given",
    )
    parser.add_argument(
        "--grafana", metavar="FILE", help="also write the timeline as Grafana annotations JSON"
    )
    parser.set_defaults(func=run)


def resolve_journal(name: str) -> Path:
    """The journal file: `name` itself, else `<journal-dir>/<name>.jsonl` (raises InputError)."""
    from gameday.core.session.paths import default_journal_dir

    path = Path(name)
    if path.exists():
        if path.is_dir():
            raise InputError(name, 0, "", "is a directory, not a journal file")
        return path.resolve()
    candidate = default_journal_dir() / f"{name}.jsonl"
    if os.sep not in name and candidate.is_file():
        return candidate
    raise InputError(
        name,
        0,
        "",
        f"no such journal (not a file, nor a session id in {default_journal_dir()})",
    )


def run(args: argparse.Namespace) -> int:
    from gameday.app.exports import record_export, write_text
    from gameday.core.findings.build import (
        findings_from_file,
        render_grafana_annotations,
        render_json,
        render_markdown,
    )

    journal = resolve_journal(args.journal)
    findings = findings_from_file(journal)
    fmt = args.format or ("json" if args.output and args.output.endswith(".json") else "md")
    if fmt == "json":
        text = json.dumps(render_json(findings), indent=2, ensure_ascii=False) + "\n"
    else:
        text = render_markdown(findings)
    if args.output:
        write_text(Path(args.output), text)
        print(f"gameday: findings written to {args.output}", file=sys.stderr)
        unrecorded = record_export(journal, Path(args.output), fmt)
        if unrecorded:
            print(
                f"gameday: the journal does not record this export: {unrecorded}", file=sys.stderr
            )
    else:
        sys.stdout.write(text)
    if args.grafana:
        annotations = render_grafana_annotations(findings)
        write_text(Path(args.grafana), json.dumps(annotations, indent=2, ensure_ascii=False) + "\n")
        print(f"gameday: Grafana annotations written to {args.grafana}", file=sys.stderr)
    return ExitCode.OK
