"""Dialogs that ask before something happens, with their keys on them.

`ConfirmScreen`: a yes/no question (y / n, esc); dismisses with True (yes) or False (no).
`TypedConfirmScreen`: the facilitator types a word (the scenario id) and presses enter;
dismisses with True only when the word matches; its Enter is read in the order of the keys
(see OrderedInput). Labels are escaped: `[y]` is text, not markup.

Given `keep` (a start's dialogs), the keys typed after a yes are kept for the session's note
box instead of going to a dialog that is going away (see KeptKeys).
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
        self._dropping = False

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

    def on_key(self, event: events.Key) -> None:
        # y and n are read here, as each key arrives, rather than through the bindings (which
        # the app looks up later): the keys after a yes must find it given
        if self.answer is None and event.key in ("y", "n", "escape"):
            event.stop()
            event.prevent_default()
            self.action_answer(event.key == "y")
        elif self.answer and self._keep is not None:
            event.stop()
            event.prevent_default()
            self._keep.keep(event)
        elif self._dropping:  # typed into a start the kill switch cancelled
            event.stop()
            event.prevent_default()

    @property
    def starts(self) -> bool:
        """Whether this dialog asks to start a session (its keys after yes are kept)."""
        return self._keep is not None

    def cancel(self) -> None:
        """No, from outside (the kill switch); keys still on their way to the dialog are
        dropped, not acted on the screen under it."""
        self._dropping = True
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
            yield OrderedInput(placeholder=self.word, id="word").then(self._after_enter)
            yield Static("enter: start (once the id matches)   esc: cancel", id="keys")

    def on_mount(self) -> None:
        self.query_one("#word", Input).focus()

    def _after_enter(self, key: events.Key) -> bool:
        """A key typed after Enter: kept for the session's note box when the id matched (the
        start goes ahead; the field is going away), else typed into the field as usual."""
        if self.answer is False:
            return True  # cancelled by the kill switch: dropped, the dialog is going
        if self._keep is None or not self._matches(self.query_one("#word", Input).value):
            return False
        self._keep.start()
        self._keep.keep(key)
        return True

    def _matches(self, typed: str) -> bool:
        return typed.strip() == self.word

    @property
    def starts(self) -> bool:
        """Whether this dialog asks to start a session (its keys after yes are kept)."""
        return self._keep is not None

    def cancel(self) -> None:
        """Cancel from outside (the kill switch)."""
        self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.answer is not None:
            return
        if self._matches(event.value):
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
