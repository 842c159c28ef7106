"""Dialogs that ask before something happens, with their keys on them.

`ConfirmScreen`: a yes/no question (y / n, esc); dismisses with True (yes) or False (no).
`TypedConfirmScreen`: the facilitator types a word (the scenario id) and presses enter;
dismisses with True only when the word matches; its Enter is read in the order of the keys
(see OrderedInput). Labels are escaped: `[y]` is text, not markup.

A start's dialogs (given `keep`) get their keys from the app itself, one at a time, in the
order typed (`take`), not through their widgets: a dialog that closes drops the keys still
queued for its widgets. The keys after a yes are kept for the session's note box (KeptKeys).
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from gameday.ui.kept_keys import KeptKeys
from gameday.ui.widgets.ordered_input import OrderedInput


class ConfirmScreen(ModalScreen[bool]):
    CSS_PATH = "confirm.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(
        self,
        question: str,
        detail: str = "",
        *,
        yes: str = "Yes",
        no: str = "No",
        keep: KeptKeys | None = None,
    ):
        super().__init__()
        self.question = question
        self.detail = detail
        self._yes = yes
        self._no = no
        self._keep = keep
        self.answer: bool | None = None
        """The facilitator's answer, once given (the dialog is then going away)."""

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

    @property
    def starts(self) -> bool:
        """Whether this dialog asks to start a session (the app hands it its keys)."""
        return self._keep is not None

    async def take(self, key: events.Key) -> None:
        """A key, from the app, in the order typed: y, n or esc answer; enter or space press
        the button with the focus, tab and the arrows move it; once answered yes, the keys are
        the session's note box's; once answered no, they are dropped."""
        if self.answer is not None:
            if self.answer and self._keep is not None:
                self._keep.keep(key)
            return
        if key.key in ("y", "n", "escape"):
            self.action_answer(key.key == "y")
        elif key.key in ("enter", "space") and isinstance(self.focused, Button):
            self.action_answer(self.focused.id == "yes")
        elif key.key in ("tab", "right"):
            self.focus_next()
        elif key.key in ("shift+tab", "left"):
            self.focus_previous()

    def cancel(self) -> None:
        """No, from outside (the kill switch)."""
        self.action_answer(False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_answer(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        if self.answer is not None:
            return  # answered once: the dialog is already going
        self.answer = yes
        if yes and self._keep is not None:
            self._keep.start()
        self.dismiss(yes)


class TypedConfirmScreen(ModalScreen[bool]):
    """Start only once `word` is typed exactly; esc cancels."""

    CSS_PATH = "confirm.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, detail: str, word: str, *, keep: KeptKeys | None = None):
        super().__init__()
        self.question = question
        self.detail = detail
        self.word = word
        self._keep = keep
        self.answer: bool | None = None
        """True once the id typed matched (the dialog is then going away)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(escape(self.question), id="question")
            yield Static(escape(self.detail), id="dialog-detail")
            yield Static(escape(f"Type {self.word} and press enter to start:"), id="prompt")
            yield OrderedInput(placeholder=self.word, id="word")
            yield Static("enter: start (once the id matches)   esc: cancel", id="keys")

    def on_mount(self) -> None:
        self.query_one("#word", Input).focus()

    def _matches(self, typed: str) -> bool:
        return typed.strip() == self.word

    @property
    def starts(self) -> bool:
        """Whether this dialog asks to start a session (the app hands it its keys)."""
        return self._keep is not None

    async def take(self, key: events.Key) -> None:
        """A key, from the app, in the order typed: typed into the field, Enter checks the
        id, esc cancels; once the id matched, the keys are the session's note box's."""
        if self.answer is not None:
            if self.answer and self._keep is not None:
                self._keep.keep(key)
            return
        field = self.query_one("#word", OrderedInput)
        if key.key == "escape":
            self.action_cancel()
        elif key.key == "enter":
            self._submit(field.value)
        else:
            await field.type_key(key)

    def cancel(self) -> None:
        """Cancel from outside (the kill switch)."""
        self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._submit(event.value)

    def _submit(self, typed: str) -> None:
        if self.answer is not None:
            return
        if self._matches(typed):
            if self._keep is not None:
                self._keep.start()
            self.answer = True
            self.dismiss(True)
            return
        self.notify(f"Type {self.word} exactly to start, or esc to cancel.", severity="warning")

    def action_cancel(self) -> None:
        if self.answer is None:
            self.answer = False
            self.dismiss(False)
