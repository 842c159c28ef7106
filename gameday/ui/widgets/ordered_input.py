"""An Input whose Enter submits in the order of the keys typed."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class OrderedInput(Input):
    """An Input whose Enter submits at once, in the order of the keys typed.

    A plain Input submits through a key binding: Enter goes up to the app before it is
    acted on, and the keys typed right after it (a fast typist, a burst) reach the box
    first. A note was submitted with them, or cleared with them once it was added; a typed
    confirmation no longer matched its word, and the start was refused.
    """

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()  # Input's own key handler, and the binding, are skipped
            await self.action_submit()
