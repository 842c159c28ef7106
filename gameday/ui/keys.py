"""Key bindings more than one screen shares."""

from __future__ import annotations

from textual.binding import Binding

KILL_SWITCH_FIRST = Binding("ctrl+k", "app.kill_switch", "KILL SWITCH")
"""The kill switch, listed first in a screen's footer: the app's own binding (a priority one,
which is what acts) comes last in the footer, where a narrow terminal cuts it off. The footer
shows a key once, where it was first listed."""
