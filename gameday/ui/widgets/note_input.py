"""The session screen's note box."""

from __future__ import annotations

from gameday.ui.widgets.ordered_input import OrderedInput


class NoteInput(OrderedInput):
    """The note box: Enter adds the note typed so far (see OrderedInput); keys typed after
    it stay in the box for the next note."""

    def take(self, submitted: str) -> None:
        """The note `submitted` was added: drop it from the box and keep whatever was typed
        after it (the box is left alone if its start was edited since)."""
        if self.value.startswith(submitted):
            self.value = self.value[len(submitted) :]
            self.cursor_position = len(self.value)
