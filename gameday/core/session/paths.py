"""Where journals live by default. Apart from the journal's reader and writer so that naming
the folder (the demo's, at the console's start) does not load the event types."""

from __future__ import annotations

import os
from pathlib import Path


def default_journal_dir() -> Path:
    """Per-user state directory ($XDG_STATE_HOME/gameday/journals)."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    return Path(base) / "gameday" / "journals"
