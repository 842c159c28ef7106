"""The session screen's note box."""

from __future__ import annotations

from gameday.ui.widgets.ordered_input import OrderedInput


class NoteInput(OrderedInput):
    """The note box. Enter hands the note typed so far to the screen and empties the box at
    once, in the order of the keys (see OrderedInput): what is typed right after it starts
    the next note, wherever the cursor was. A note the screen refuses is given back."""

    _refused_shown: str | None = None
    """The box's text when a refusal was last said on its border (said until it is edited)."""

    async def action_submit(self) -> None:
        submitted = self.value
        self.value = ""
        self.post_message(self.Submitted(self, submitted))

    def give_back(self, refused: str, why: str) -> None:
        """The note `refused` was not added: put it back in the box for editing, before
        whatever was typed since, and say why on the box's border (a toast would cover the
        box), until the note is edited."""
        self.value = refused + self.value
        self.cursor_position = len(refused)
        self.border_title = f"not added: {why}"
        self.add_class("-refused")
        self._refused_shown = self.value

    def on_input_changed(self, event: OrderedInput.Changed) -> None:
        if self._refused_shown is not None and event.value != self._refused_shown:
            self._refused_shown = None
            self.border_title = None
            self.remove_class("-refused")
