"""Following a journal while its session writes it, for `gameday watch`.

`JournalFollower.poll()` reads what was appended since the last call and returns the new events;
it never blocks and never sleeps (the caller decides how often to poll). A line still being
written stays buffered until its newline arrives; a complete line that is not an event is
reported and skipped (a watcher keeps watching). When the file is cut (`recover` removing a torn
tail) the follower reads what replaced the cut line; when the file is replaced, it says so and
reads it again from the top.

`pick_session(directory)` is the journal `watch --journal-dir` follows: the newest session that
has not ended there; `SessionFollower` puts both together (and moves to each new session).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from gameday.core.session.events import Event, SessionEnded, from_json

READ_LIMIT = 1 << 20
"""Bytes read per poll at most: a long journal arrives in batches the screen can draw."""

PICK_LIMIT = 20
"""How many of a directory's newest journals are read to find one still running."""


@dataclass(frozen=True)
class Chunk:
    """What one poll found."""

    events: tuple[Event, ...] = ()
    problems: tuple[str, ...] = ()
    """Lines that are not events, as `line N: why` (they are skipped)."""
    restarted: bool = False
    """The file was replaced or cut before what was read: `events` start from its first line."""
    more: bool = False
    """More bytes are waiting than one poll reads: poll again at once."""
    missing: bool = False
    """The file cannot be read (yet, or any more)."""
    pending: int = 0
    """Bytes of an unfinished last line, held until its newline arrives."""


class JournalFollower:
    """Reads a growing journal in order; one instance per file, used from one thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._consumed = 0
        """Bytes of the file read as whole lines; the buffer below starts here."""
        self._buffer = b""
        """The start of a line whose newline has not arrived yet."""
        self._line = 0
        """Number of the last line consumed (for the problems' wording)."""
        self._inode: int | None = None

    def poll(self) -> Chunk:
        try:
            with self.path.open("rb") as f:
                stat = os.fstat(f.fileno())
                restarted = self._restart_if_replaced(stat.st_ino, stat.st_size)
                f.seek(self._consumed)
                data = f.read(READ_LIMIT + len(self._buffer))
                more = stat.st_size > self._consumed + len(data)
        except OSError:
            return Chunk(missing=True)
        if data.startswith(self._buffer):
            data = data[len(self._buffer) :]
        else:
            # The unfinished line was cut and something else written there (recover removes
            # a torn tail, then appends): read what is there now.
            self._buffer = b""
        events, problems = self._decode(data)
        return Chunk(tuple(events), tuple(problems), restarted, more, pending=len(self._buffer))

    def _restart_if_replaced(self, inode: int, size: int) -> bool:
        """Start again from the top when the file is another one, or shorter than its lines read."""
        if self._inode is None:
            self._inode = inode
        if inode == self._inode and size >= self._consumed:
            return False
        self._inode, self._consumed, self._buffer, self._line = inode, 0, b"", 0
        return True

    def _decode(self, data: bytes) -> tuple[list[Event], list[str]]:
        lines = (self._buffer + data).split(b"\n")
        self._buffer = lines.pop()
        self._consumed += sum(len(line) + 1 for line in lines)
        events: list[Event] = []
        problems: list[str] = []
        for line in lines:
            self._line += 1
            _read_line(line, self._line, events, problems)
        if self._buffer and _is_object(self._buffer):
            # A whole event whose newline never came (the writer died between the two). Its
            # newline, if it comes later, reads as an empty line, which is skipped.
            _read_line(self._buffer, self._line + 1, events, problems)
            self._consumed += len(self._buffer)
            self._buffer = b""
        return events, problems


def _is_object(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line.decode("utf-8")), dict)
    except (ValueError, UnicodeDecodeError):
        return False


def _read_line(line: bytes, number: int, events: list[Event], problems: list[str]) -> None:
    if not line.strip():
        return
    try:
        body = json.loads(line.decode("utf-8"))
        if not isinstance(body, dict):
            raise ValueError("not a JSON object")
        events.append(from_json(body))
    except (ValueError, UnicodeDecodeError) as exc:
        if str(exc).startswith("unknown event type"):
            return  # written by a newer gameday: skipped, as every reader does
        problems.append(f"line {number}: not an event ({exc})")


def session_ended(path: Path) -> bool:
    """True when the journal holds a `session_ended` line (unreadable files count as ended)."""
    follower = JournalFollower(path)
    for _ in range(1 << 12):  # bounded: 4 GiB of journal at most
        chunk = follower.poll()
        if chunk.missing or any(isinstance(e, SessionEnded) for e in chunk.events):
            return True
        if not chunk.more:
            return False
    return True


def journals_by_age(directory: Path) -> list[Path]:
    """The journals of a directory, newest first (by the time they were last written)."""
    found: list[tuple[float, str, Path]] = []
    for path in _journal_files(directory):
        try:
            found.append((path.stat().st_mtime, path.name, path))
        except OSError:
            continue  # removed while listing
    return [path for _, _, path in sorted(found, reverse=True)]


def _journal_files(directory: Path) -> Iterable[Path]:
    try:
        return [p for p in directory.glob("*.jsonl") if p.is_file()]
    except OSError:
        return []


def pick_session(directory: Path) -> Path | None:
    """The newest journal of the directory whose session has not ended, or None."""
    for path in journals_by_age(directory)[:PICK_LIMIT]:
        if not session_ended(path):
            return path
    return None


def new_journals(directory: Path, known: frozenset[str]) -> list[Path]:
    """Journals that appeared since `known` (file names) was taken, newest first."""
    return [p for p in journals_by_age(directory) if p.name not in known]


SCAN = 1.0
"""Seconds between two looks at a directory for a new session."""


@dataclass(frozen=True)
class Switched:
    """The view follows another journal from now on (None: none yet, waiting for one)."""

    path: Path | None


@dataclass(frozen=True)
class Grew:
    """What one poll of the followed journal found."""

    path: Path
    chunk: Chunk


Update = Switched | Grew


class SessionFollower:
    """What `gameday watch` follows: one journal, or the sessions of a directory (the newest
    that has not ended, then each new one as soon as its journal appears).

    `start()` once, then `poll()` as often as wanted, from one thread; neither blocks nor
    sleeps. `now` is a monotonic clock (the directory is looked at every `scan` seconds).
    """

    def __init__(
        self,
        journal: Path | None = None,
        directory: Path | None = None,
        *,
        now: Callable[[], float],
        scan: float = SCAN,
    ) -> None:
        self.journal, self.directory = journal, directory
        self._now, self._scan = now, scan
        self._follower: JournalFollower | None = None
        self._known: frozenset[str] = frozenset()
        self._next_scan = 0.0
        self._missing = False

    def start(self) -> Switched:
        """The journal to follow first."""
        path = self.journal
        if self.directory is not None:
            self._known = frozenset(p.name for p in journals_by_age(self.directory))
            path = path or pick_session(self.directory)
            self._next_scan = self._now() + self._scan
        self._follower = JournalFollower(path) if path else None
        return Switched(path)

    def poll(self) -> tuple[list[Update], bool]:
        """What changed since the last poll, and whether more is waiting (poll again at once)."""
        updates: list[Update] = []
        chunk = self._follower.poll() if self._follower else Chunk()
        if self._follower is not None and self._worth_saying(chunk):
            updates.append(Grew(self._follower.path, chunk))
        if self.directory is not None and self._now() >= self._next_scan:
            self._next_scan = self._now() + self._scan
            fresh = new_journals(self.directory, self._known)
            if fresh:
                self._known |= {p.name for p in fresh}
                self._follower, self._missing = JournalFollower(fresh[0]), False
                updates.append(Switched(fresh[0]))
                return updates, True
        return updates, chunk.more

    def _worth_saying(self, chunk: Chunk) -> bool:
        """New lines, problems, a restart; a journal that can no longer be read, once."""
        missing_now = chunk.missing and not self._missing
        self._missing = chunk.missing
        return bool(chunk.events or chunk.problems or chunk.restarted or missing_now)
