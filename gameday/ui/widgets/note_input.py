"""The session screen's note box."""

from __future__ import annotations

from gameday.ui.widgets.ordered_input import OrderedInput


class NoteInput(OrderedInput):
    """The note box. Enter hands the note typed so far to the screen and empties the box at
    once, in the order of the keys (see OrderedInput): what is typed right after it starts
    the next note, wherever the cursor was. A note the screen refuses is given back."""

    async def action_submit(self) -> None:
        submitted = self.value
        self.value = ""
        self.post_message(self.Submitted(self, submitted))

    def give_back(self, refused: str) -> None:
        """The note `refused` was not added: put it back in the box for editing, before
        whatever was typed since."""
        self.value = refused + self.value
        self.cursor_position = len(refused)
