"""The session screen's note box."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class NoteInput(Input):
    """An Input whose Enter submits at once, in the order of the keys typed.

    A plain Input submits through a key binding: Enter goes up to the app before it is
    acted on, and the keys typed right after it (a fast typist, a burst) reach the box
    first: they were submitted with the note, or cleared with it once it was added.
    """

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()  # Input's own key handler, and the binding, are skipped
            await self.action_submit()

    def take(self, submitted: str) -> None:
        """The note `submitted` was added: drop it from the box and keep whatever was typed
        after it (the box is left alone if its start was edited since)."""
        if self.value.startswith(submitted):
            self.value = self.value[len(submitted) :]
            self.cursor_position = len(self.value)
