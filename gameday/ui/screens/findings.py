"""The findings screen: the findings document of the session, rendered, and exported on a key.

The document is built from the journal (the same `build_findings` and `render_markdown` as
`gameday export`) in a worker; exporting writes it in a worker too, through a temporary file.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Markdown, Static

from gameday.core.session import events as ev
from gameday.core.session.journal import append_to_finished
from gameday.core.wording import verdict_word
from gameday.errors import GamedayError
from gameday.ui.keys import KILL_SWITCH_FIRST
from gameday.ui.messages import FindingsExported, FindingsReady
from gameday.ui.workers import run_io


class FindingsScreen(Screen[None]):
    CSS_PATH = "findings.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        KILL_SWITCH_FIRST,
        Binding("e", "export", "Export"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, journal: Path, export_dir: Path) -> None:
        super().__init__()
        self.journal = journal
        self.export_path = export_dir / f"{journal.stem}.findings.md"
        """Where `e` writes the document."""
        self.markdown: str | None = None
        """The document, once built."""
        self.verdict = ""
        self.export_when_ready = False
        """Export as soon as the document is built (the palette's "Export findings")."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Building the findings from the journal…", id="findings-verdict")
        yield Static(f"e exports to {self.export_path}", id="export-path")
        with VerticalScroll(id="document"):
            yield Markdown("", id="findings")
        yield Footer()

    def on_mount(self) -> None:
        journal = self.journal

        def build() -> None:
            from gameday.core.findings.build import findings_from_file, render_markdown

            try:
                findings = findings_from_file(journal)
            except GamedayError as exc:  # an unreadable journal: say so where the verdict goes
                self.post_message(FindingsReady("", "unknown", f"{exc.title}: {exc.message}"))
                return
            self.post_message(
                # The console draws no Mermaid: the text sparklines stand for the charts.
                FindingsReady(
                    render_markdown(findings),
                    findings.verdict,
                    findings.verdict_reason,
                    shown=render_markdown(findings, mermaid=False),
                )
            )

        run_io(self, build, group="findings", description="build the findings document")

    async def on_findings_ready(self, message: FindingsReady) -> None:
        self.markdown = message.markdown or None
        self.verdict = message.verdict
        label = self.query_one("#findings-verdict", Static)
        label.update(f"Verdict: {verdict_word(message.verdict)} — {message.reason}")
        label.set_class(message.verdict == "held", "-held")
        label.set_class(message.verdict != "held", "-bad")
        # Exported: the whole document (as `gameday export`); shown: without the Mermaid source.
        await self.query_one("#findings", Markdown).update(message.shown or message.markdown)
        if self.export_when_ready and self.markdown is not None:
            self.action_export()

    def action_export(self) -> None:
        text = self.markdown
        if text is None:
            self.notify("The document is still being built.", severity="warning")
            return
        path = self.export_path

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.tmp")
            temporary.write_text(text, encoding="utf-8")
            temporary.replace(path)
            # Journaled, so `gameday sessions` says where this session's findings are.
            append_to_finished(
                self.journal, ev.FindingsExported(path=str(path.resolve()), format="md")
            )
            self.post_message(FindingsExported(str(path)))

        run_io(self, write, group="export", description=f"write {path}")

    def on_findings_exported(self, message: FindingsExported) -> None:
        self.query_one("#export-path", Static).update(f"exported to {message.path}")
        self.notify(f"Findings written to {message.path}", title="Exported")

    def action_back(self) -> None:
        self.dismiss()
