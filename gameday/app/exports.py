"""Writing a session's findings: the document written whole (through a temporary file, so a
reader never sees half of it), and the export recorded in the session's journal (a
`findings_exported` line), so that `gameday sessions` and the console's history say where the
findings are. Used by `gameday export`, `gameday run --junit` and the console's export.
"""

from __future__ import annotations

from pathlib import Path

from gameday.app.headless import journal_is_running
from gameday.core.findings.build import findings_from_file
from gameday.core.findings.markdown import render_markdown
from gameday.core.session import events as ev
from gameday.core.session.journal import append_to_finished
from gameday.errors import GamedayError


class ExportError(GamedayError):
    title = "Cannot write the findings"


def write_text(path: Path, text: str) -> None:
    """Write through a temporary file so a reader never sees half a document (raises
    ExportError)."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ExportError(f"{path}: {exc.strerror or exc}") from None


def record_export(journal: Path, output: Path, fmt: str) -> str | None:
    """Journal where the findings went; None when recorded (or not to be), else why not.

    Only for a session that no process is writing any more: a running session's journal has one
    writer, the session. A journal that cannot be appended to is left as it is.
    """
    if journal_is_running(journal):
        return None
    try:
        append_to_finished(journal, ev.FindingsExported(path=str(output.resolve()), format=fmt))
    except (OSError, GamedayError) as exc:
        return getattr(exc, "strerror", None) or str(exc)
    return None


def export_markdown(journal: Path, export_dir: Path) -> Path:
    """Write `<export_dir>/<session>.findings.md` from the journal and record it there (the
    document was written, which is what the facilitator asked for, even when the journal is
    read-only). Raises GamedayError (the journal cannot be read, the file cannot be written).
    """
    path = export_dir / f"{journal.stem}.findings.md"
    try:
        export_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"{export_dir}: {exc.strerror or exc}") from None
    write_text(path, render_markdown(findings_from_file(journal)))
    record_export(journal, path, "md")
    return path
