"""The setup step: the GameDay's name and its people, each with a role.

A modal on the plan screen (`t`). People are written as `alice:owner bob:coordinator
carol:reporter dave:observer`. Enter in the name goes on to the people (keys typed right after
it go there too, see OrderedInput); Enter in the people checks them (a wrong role or a name
given twice is said under the field) and dismisses with the `Team`; Escape leaves the team as
it was. Saving the team for the next console is the plan screen's job (a worker: it is file IO).
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from gameday.core.roles import ROLE_DUTIES, Team, parse_team, team_text
from gameday.errors import InputError
from gameday.ui.widgets.ordered_input import OrderedInput

ROLES_HELP = "  ".join(f"{role}: {duty}" for role, duty in ROLE_DUTIES.items())


class TeamScreen(ModalScreen[Team | None]):
    CSS_PATH = "team.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, team: Team) -> None:
        super().__init__()
        self.team = team

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Who takes part in this GameDay?", id="question")
            yield OrderedInput(
                self.team.name,
                placeholder="GameDay name, e.g. Q4 checkout resilience",
                id="team-name",
            ).then("team-people")
            yield OrderedInput(
                team_text(self.team),
                placeholder="alice:owner bob:coordinator carol:reporter dave:observer",
                id="team-people",
            )
            yield Static(ROLES_HELP, id="roles")
            yield Static(
                "Notes are written by the first reporter; start a note with @name: to say who "
                "is speaking. Enter saves, Escape cancels.",
                id="team-help",
            )
            yield Static("", id="team-error")

    def on_mount(self) -> None:
        self.query_one("#team-name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "team-name":
            self.query_one("#team-people", Input).focus()
            return
        name = self.query_one("#team-name", Input).value
        try:
            team = parse_team(name, event.value)
        except InputError as exc:
            self.query_one("#team-error", Static).update(exc.problem)
            return
        self.dismiss(team)

    def action_cancel(self) -> None:
        self.dismiss(None)
