"""Preflight only, in the console: the plan's hosts and probes checked, nothing injected.

The check runs in a worker (`Backend.preflight`: connect, every capability check, one sample per
probe); the screen shows per host and per probe what passed and why not. No session is
opened and nothing is journaled. Esc goes back to the plan.
"""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from gameday.core.plan import Plan
from gameday.engine.preflight import PreflightReport, summary_line
from gameday.errors import GamedayError
from gameday.ui.backend import Backend
from gameday.ui.keys import KILL_SWITCH_FIRST
from gameday.ui.messages import PreflightDone
from gameday.ui.workers import run_io


class PreflightScreen(Screen[None]):
    CSS_PATH = "preflight.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        KILL_SWITCH_FIRST,
        Binding("escape", "back", "Back to the plan"),
    ]

    def __init__(self, backend: Backend, plan: Plan) -> None:
        super().__init__()
        self.backend = backend
        self.plan = plan
        self.report: PreflightReport | None = None
        """The report, once every check answered."""

    def compose(self) -> ComposeResult:
        yield Header()
        targets = ", ".join(self.plan.selection.targets)
        yield Static(
            f"Preflight only: {self.plan.scenario.id} on {targets} — checking, nothing is "
            "injected…",
            id="preflight-status",
        )
        with VerticalScroll(id="preflight-body"):
            yield Static("", id="preflight-results")
        yield Footer()

    def on_mount(self) -> None:
        backend, plan = self.backend, self.plan

        def check() -> None:
            try:
                self.post_message(PreflightDone(backend.preflight(plan)))
            except GamedayError as exc:
                self.post_message(PreflightDone(None, f"{exc.title}: {exc.message}"))

        run_io(self, check, group="preflight", description=f"preflight only {plan.scenario.id}")

    def on_preflight_done(self, message: PreflightDone) -> None:
        status = self.query_one("#preflight-status", Static)
        report = message.report
        self.report = report
        if report is None:
            status.update(Text(f"Preflight could not run: {message.problem}", style="bold red"))
            status.add_class("-failed")
            return
        status.update(summary_line(report))
        status.set_class(report.ok, "-passed")
        status.set_class(not report.ok, "-failed")
        table = Table(box=None, expand=True, header_style="bold")
        table.add_column("", no_wrap=True)
        table.add_column("host or probe", no_wrap=True)
        table.add_column("check", no_wrap=True)
        table.add_column("why / value")
        for result in report.results:
            mark = Text("pass", style="bold green") if result.ok else Text("FAIL", style="bold red")
            table.add_row(mark, result.subject, result.check, result.detail)
        self.query_one("#preflight-results", Static).update(table)

    def action_back(self) -> None:
        self.dismiss()
