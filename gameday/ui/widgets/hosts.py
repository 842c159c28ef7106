"""The hosts table: one row per (host, fault), its status as the engine reports it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import DataTable

from gameday.core import events as ev

if TYPE_CHECKING:
    from gameday.core.plan import Plan
    from gameday.core.view import HostRow

STYLES = {
    "planned": "dim",
    "armed": "yellow",
    "injected": "bold magenta",
    "reverted": "green",
    "failed": "bold red",
    "UNCONFIRMED": "bold white on red",
}


class HostsTable(DataTable[str | Text]):
    """Rows are keyed `host/fault_id`; `status_of` reads a row back (for tests and the banner)."""

    def __init__(self, plan: Plan | Sequence[HostRow], *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.rows_planned = tuple(plan) if isinstance(plan, Sequence) else rows_of(plan)
        """The rows, from the console's plan or (in `gameday watch`) from the journal."""
        self.statuses: dict[str, str] = {}
        """`host/fault_id` → planned | armed | injected | reverted | failed | UNCONFIRMED."""
        self.details: dict[str, str] = {}
        """`host/fault_id` → the last detail shown (timer, summary, failure, revert)."""

    def on_mount(self) -> None:
        self.add_column("host", key="host")
        ladder = any(row.stage for row in self.rows_planned)
        self.add_column("stage" if ladder else "wave", key="wave")
        self.add_column("fault", key="fault")
        self.add_column("status", key="status", width=11)
        self.add_column("detail", key="detail")
        for row in self.rows_planned:
            key = f"{row.host}/{row.fault_id}"
            self.statuses[key] = "planned"
            when = str(row.stage if ladder else row.wave)
            self.add_row(row.host, when, row.kind, _status("planned"), "", key=key)

    def apply(self, event: ev.Event) -> None:
        """Update the row an event is about (other events are ignored)."""
        if isinstance(event, ev.PreflightChecked):
            self._preflight(event)
        elif isinstance(event, ev.FaultArmed):
            self._set(event.host, event.fault_id, "armed", f"host timer: {event.timer}")
        elif isinstance(event, ev.FaultInjected):
            self._set(event.host, event.fault_id, "injected", event.summary)
        elif isinstance(event, ev.FaultFailed):
            self._set(event.host, event.fault_id, "failed", f"{event.step}: {event.reason}")
        elif isinstance(event, ev.FaultReverted):
            status = "reverted" if event.verified else "UNCONFIRMED"
            detail = f"by {event.by}" + (f": {event.detail}" if event.detail else "")
            self._set(event.host, event.fault_id, status, detail)

    def _preflight(self, event: ev.PreflightChecked) -> None:
        """A refusal is shown on every row of the host; a pass only where nothing is shown."""
        for key in [k for k in self.statuses if k.split("/", 1)[0] == event.host]:
            previous = self.details.get(key, "")
            if event.ok and previous:
                continue
            text = "preflight passed" if event.ok else f"preflight: {event.check}: {event.detail}"
            self.details[key] = text
            self.update_cell(key, "detail", text, update_width=True)

    def status_of(self, host: str, fault_id: str) -> str:
        return self.statuses.get(f"{host}/{fault_id}", "")

    def _set(self, host: str, fault_id: str, status: str, detail: str) -> None:
        key = f"{host}/{fault_id}"
        if key not in self.statuses:
            return
        self.statuses[key] = status
        self.details[key] = detail
        self.update_cell(key, "status", _status(status))
        self.update_cell(key, "detail", detail, update_width=True)


def rows_of(plan: Plan) -> tuple[HostRow, ...]:
    from gameday.core.view import HostRow

    return tuple(
        HostRow(name, host.wave, fault.kind, fault.fault_id, host.stage)
        for name, host in plan.hosts.items()
        for fault in host.faults
    )


def _status(status: str) -> Text:
    return Text(status, style=STYLES.get(status, ""))
