"""The hosts table: one row per (host, fault), rendered from the session's state.

The status words are the core's (`gameday.core.wording`); the status column comes right after
the host so it stays on screen at 80 columns. A planned fault of a session that will inject
nothing more reads `not run`, never `planned`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import DataTable

from gameday.core.session.state import FaultState, SessionState
from gameday.core.wording import (
    FAULT_STATUS_WORDS,
    host_timer_text,
    lost_text,
    reverted_by_text,
)

if TYPE_CHECKING:
    from gameday.core.plan import Plan
    from gameday.core.view import HostRow

STYLES = {
    "planned": "dim",
    "not run": "dim italic",
    "armed": "yellow",
    "injected": "bold magenta",
    "reverted": "green",
    "failed": "bold red",
    "UNCONFIRMED": "bold white on red",
    "LOST": "bold white on red",
}


class HostsTable(DataTable[str | Text]):
    """Rows are keyed `host/fault_id`; `statuses` holds the words shown (tests read them)."""

    def __init__(self, plan: Plan | Sequence[HostRow], *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.rows_planned = tuple(plan) if isinstance(plan, Sequence) else rows_of(plan)
        """The rows, from the console's plan or (in `gameday watch`) from the journal."""
        self.statuses: dict[str, str] = {}
        """`host/fault_id` → the status word shown."""
        self.details: dict[str, str] = {}
        """`host/fault_id` → the detail shown."""

    def on_mount(self) -> None:
        ladder = any(row.stage for row in self.rows_planned)
        self.add_column("host", key="host")
        self.add_column("status", key="status", width=11)
        self.add_column("fault", key="fault")
        self.add_column("stage" if ladder else "wave", key="wave")
        self.add_column("detail", key="detail")
        for row in self.rows_planned:
            key = f"{row.host}/{row.fault_id}"
            self.statuses[key], self.details[key] = "planned", ""
            when = str(row.stage if ladder else row.wave)
            self.add_row(row.host, _status("planned"), row.kind, when, "", key=key)

    def show(self, state: SessionState) -> None:
        """Bring every row in line with the state (only changed cells are touched)."""
        for key in self.statuses:
            host, fault_id = key.split("/", 1)
            fault = state.faults.get((host, fault_id)) or FaultState(host, fault_id)
            word = status_word(fault, state)
            detail = detail_of(fault, state.preflight.get(host), state.lost.get(host))
            if word != self.statuses[key]:
                self.statuses[key] = word
                self.update_cell(key, "status", _status(word))
            if detail != self.details[key]:
                self.details[key] = detail
                self.update_cell(key, "detail", detail, update_width=True)

    def status_of(self, host: str, fault_id: str) -> str:
        return self.statuses.get(f"{host}/{fault_id}", "")


def status_word(fault: FaultState, state: SessionState) -> str:
    if fault.host in state.lost and fault.status in ("armed", "injected", "unconfirmed"):
        return FAULT_STATUS_WORDS["lost"]
    if fault.status == "planned" and state.stopping:
        return FAULT_STATUS_WORDS["not_run"]
    return FAULT_STATUS_WORDS[fault.status]


def rows_of(plan: Plan) -> tuple[HostRow, ...]:
    from gameday.core.view import HostRow

    return tuple(
        HostRow(name, host.wave, fault.kind, fault.fault_id, host.stage)
        for name, host in plan.hosts.items()
        for fault in host.faults
    )


def detail_of(fault: FaultState, preflight: str | None, lost_at: float | None = None) -> str:
    """The one fact a facilitator needs about this fault now."""
    if lost_at is not None and fault.status in ("armed", "injected", "unconfirmed"):
        return lost_text(lost_at)
    if fault.status == "armed" and fault.deadline is not None:
        return host_timer_text(fault.deadline)
    if fault.status == "injected":
        # The timer first: it is what a facilitator needs to know about an active fault.
        parts = [host_timer_text(fault.deadline)] if fault.deadline is not None else []
        return "; ".join(parts + ([fault.summary] if fault.summary else []))
    if fault.status in ("reverted", "unconfirmed"):
        by = f"by {reverted_by_text(fault.reverted_by)}"
        return f"{by}: {fault.detail}" if fault.detail else by
    if fault.status == "failed" or fault.detail:
        return fault.detail
    if preflight:
        return f"preflight refused: {preflight}"
    if preflight == "":
        return "preflight passed"
    return ""


def _status(word: str) -> Text:
    return Text(word, style=STYLES.get(word, ""))
