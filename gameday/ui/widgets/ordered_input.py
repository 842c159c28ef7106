"""An Input that acts on every key in the order the keys were typed."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.widgets import Input

_EDITING: dict[str, str] = {
    key.strip(): binding.action
    for binding in Input.BINDINGS
    if isinstance(binding, Binding)
    for key in binding.key.split(",")
}
"""Input's own keys (Enter, Backspace, ctrl+u, the arrows…) and their actions."""


class OrderedInput(Input):
    """An Input that acts on every key in the order the keys were typed.

    A plain Input types a character at once, but acts on its other keys (Enter, Backspace,
    ctrl+u, the arrows) through key bindings, which the app looks up once the key has gone up
    to it: in a burst (a fast typist, a busy console, keys sent by a terminal multiplexer) the
    characters typed after such a key are typed first. `abc`, Backspace, `d` read `abc`; a note
    was submitted with the words typed after its Enter; a typed confirmation no longer matched
    its word. Here those keys act as they arrive, between the characters around them.

    `then(field_id)`: the field whose turn comes after Enter (the screen moves the focus
    there when it sees the submit). Keys that reach this box after its Enter, before the focus
    has moved, are handed on to that field in order instead of being typed here, and fill it as
    slow typing would: a value it shows would have been selected on focus and replaced by the
    first key, so the first key handed on replaces it.
    """

    _then: str | None = None
    _handing_on = False

    def then(self, field_id: str) -> OrderedInput:
        """Hand the keys typed after Enter on to the field `field_id` (see the class)."""
        self._then = field_id
        return self

    async def _on_key(self, event: events.Key) -> None:
        if self._handing_on:
            event.stop()
            event.prevent_default()
            self._hand_on(event)
            return
        action = _EDITING.get(event.key)
        if action is None:
            return  # a character: Input's own handler types it, next
        event.stop()
        event.prevent_default()  # Input's own handler, and the binding, are skipped
        if event.key == "enter":
            self._handing_on = self._then is not None
        await self.run_action(action)

    async def type_key(self, event: events.Key) -> None:
        """Act on `event` at once, as typing it into the box would (for a screen whose keys
        the app hands it itself, one at a time: see the start dialogs)."""
        action = _EDITING.get(event.key)
        if action is not None:
            await self.run_action(action)
        elif event.is_printable and event.character:
            if self.selection.is_empty:
                self.insert_text_at_cursor(event.character)
            else:
                self.replace(event.character, *self.selection)

    def _hand_on(self, event: events.Key) -> None:
        target = self.screen.query_one(f"#{self._then}", Input)
        if target.select_on_focus:  # the first key handed on: it replaces what the field shows
            target.value = ""
            # and what is typed into it now must not be selected when the focus arrives
            target.select_on_focus = False
        target.post_message(events.Key(event.key, event.character))

    def _on_focus(self, _event: events.Focus) -> None:
        # Input's own handler runs as well (Textual calls each class's); this one only notes
        # that the facilitator came back to this field: it takes keys again
        self._handing_on = False
