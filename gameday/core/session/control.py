"""`<journal-dir>/<session-id>.pid`: which process runs a session, for `gameday abort`.

Every console writes one while its session runs — headless runs, the console on a real
inventory and the demo alike — and removes it when the session is closed. `mode` says what the
session touches: `demo` sessions touch no host, so `abort` never opens a connection for them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from gameday.core.session import events as ev
from gameday.core.session.journal import read_journal
from gameday.errors import GamedayError


@dataclass(frozen=True)
class ControlFile:
    path: Path
    pid: int
    session_id: str
    journal: str
    mode: str = "headless"
    """`headless`, `console` or `demo`, as the journal's session_started says."""

    @staticmethod
    def for_journal(journal: Path) -> Path:
        return journal.with_suffix(".pid")

    def write(self) -> None:
        body = {
            "pid": self.pid,
            "session_id": self.session_id,
            "journal": self.journal,
            "mode": self.mode,
        }
        tmp = self.path.with_suffix(".pid.tmp")
        tmp.write_text(json.dumps(body) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)

    @classmethod
    def read(cls, path: Path) -> ControlFile | None:
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                path,
                int(body["pid"]),
                str(body["session_id"]),
                str(body["journal"]),
                str(body.get("mode", "headless")),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def is_running(self) -> bool:
        """True when the recorded process is alive and is a gameday process."""
        try:
            cmdline = Path(f"/proc/{self.pid}/cmdline").read_bytes()
        except OSError:
            return False
        return b"gameday" in cmdline


def session_mode(journal: Path) -> str:
    """The journal's session mode (`demo`, `console`, `headless`); empty when unreadable."""
    try:
        events = read_journal(journal).events
    except (OSError, GamedayError):  # a broken journal is reported by whoever reads it for real
        return ""
    first = events[0] if events else None
    return first.mode if isinstance(first, ev.SessionStarted) else ""
