"""The console's export of a session's findings: the document written next to the others, and
the export recorded in the session's journal (a `findings_exported` line), so that `gameday
sessions` and the console's history say where the findings are.

The same rules as `gameday export -o` (`gameday.commands.export`): the file is written through a
temporary file, and a journal that a running process still writes is left alone.
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


def export_markdown(journal: Path, export_dir: Path) -> Path:
    """Write `<export_dir>/<session>.findings.md` from the journal and record it there.

    Raises GamedayError (the journal cannot be read, the file cannot be written).
    """
    text = render_markdown(findings_from_file(journal))
    path = export_dir / f"{journal.stem}.findings.md"
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ExportError(f"{path}: {exc.strerror or exc}") from None
    if not journal_is_running(journal):
        _record(journal, path)
    return path


def _record(journal: Path, output: Path) -> None:
    """Append the export to a finished session's journal (a read-only journal stays as it is:
    the document was written, which is what the facilitator asked for)."""
    try:
        append_to_finished(journal, ev.FindingsExported(path=str(output.resolve()), format="md"))
    except (OSError, GamedayError):
        return
