"""Dialogs that ask before something happens, with their keys on them.

`ConfirmScreen`: a yes/no question (y / n, esc); dismisses with True (yes) or False (no).
`TypedConfirmScreen`: the facilitator types a word (the scenario id) and presses enter;
dismisses with True only when the word matches; its Enter is read in the order of the keys
(see OrderedInput). Labels are escaped: `[y]` is text, not markup.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from gameday.ui.widgets.ordered_input import OrderedInput


class ConfirmScreen(ModalScreen[bool]):
    CSS_PATH = "confirm.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, detail: str = "", *, yes: str = "Yes", no: str = "No"):
        super().__init__()
        self.question = question
        self.detail = detail
        self._yes = yes
        self._no = no

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(escape(self.question), id="question")
            yield Static(escape(self.detail), id="dialog-detail")
            with Horizontal(id="buttons"):
                yield Button(escape(f"{self._yes} [y]"), variant="error", id="yes")
                yield Button(escape(f"{self._no} [n]"), variant="primary", id="no")
            yield Static(
                escape(f"y: {self._yes.lower()}   n or esc: {self._no.lower()}"), id="keys"
            )

    def on_mount(self) -> None:
        self.query_one("#dialog-detail").display = bool(self.detail)
        self.query_one("#no", Button).focus()

    def set_question(self, question: str, detail: str = "", *, yes: str | None = None) -> None:
        """Change what the open dialog asks (the state it was about has changed)."""
        self.question, self.detail = question, detail
        self.query_one("#question", Static).update(escape(question))
        self.query_one("#dialog-detail", Static).update(escape(detail))
        self.query_one("#dialog-detail").display = bool(detail)
        if yes is not None:
            self._yes = yes
            self.query_one("#yes", Button).label = escape(f"{yes} [y]")
            self.query_one("#keys", Static).update(escape(self._keys()))

    def _keys(self) -> str:
        return f"y: {self._yes.lower()}   n or esc: {self._no.lower()}"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class TypedConfirmScreen(ModalScreen[bool]):
    """Start only once `word` is typed exactly; esc cancels."""

    CSS_PATH = "confirm.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, detail: str, word: str) -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.word = word

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(escape(self.question), id="question")
            yield Static(escape(self.detail), id="dialog-detail")
            yield Static(escape(f"Type {self.word} and press enter to start:"), id="prompt")
            yield OrderedInput(placeholder=self.word, id="word")
            yield Static("enter: start (once the id matches)   esc: cancel", id="keys")

    def on_mount(self) -> None:
        self.query_one("#word", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.word:
            self.dismiss(True)
            return
        self.notify(f"Type {self.word} exactly to start, or esc to cancel.", severity="warning")

    def action_cancel(self) -> None:
        self.dismiss(False)
