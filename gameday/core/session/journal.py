"""The crash-safe journal: one JSON line per event, flushed and fsynced before anyone is told.

A session writes exactly one file, `<journal-dir>/<session-id>.jsonl`. A crash can leave a torn
last line; the reader tolerates it (and says so) but never a torn line in the middle, which
means the file was edited or the disk lied.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gameday.core.session.events import EVENT_TYPES, Event, from_json, to_json, with_position
from gameday.errors import InputError

_SECRET_PATTERNS = (
    # `Authorization: Bearer x`, `-H 'X-Api-Key: x'`
    re.compile(
        r"(?i)\b(authorization|x-api-key|api-key|x-auth-token)(\s*[:=]\s*)(bearer\s+|basic\s+)?"
        r"""[^\s'"]+"""
    ),
    # `password=x`, `--token x`, `PGPASSWORD=x`
    re.compile(
        r"(?i)((?:--?|\b)[a-z_]*(?:password|passwd|token|secret|apikey|api_key))(\s*[=: ]\s*)()"
        r"""[^\s'"]+"""
    ),
    # credentials in URLs: scheme://user:pass@host
    re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]+)(:)()[^@\s/]+(?=@)"),
)


_SECRET_WORDS = ("authorization", "api-key", "api_key", "apikey", "passw", "token", "secret", "://")
"""Every pattern above needs one of these, in any case. Most commands have none, and looking
for them is ~20x cheaper than the patterns (the console redacts every host's commands at
once). Only for ASCII text: the patterns' case-blind match also takes a few other letters
(`ſ` for `s`, `ı` for `i`, the Kelvin sign for `k`) that `lower()` keeps as they are."""


def redact(text: str) -> str:
    """Mask what looks like a credential; applied to every command before it is journaled."""
    if text.isascii():
        lowered = text.lower()
        if not any(word in lowered for word in _SECRET_WORDS):
            return text
    return _masked(text)


def _masked(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3) or ''}********", text)
    return text


class JournalWriter:
    """Appends events durably. Thread-safe; positions (seq, ts) are assigned here, in order."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._start_counts(0)
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_APPEND + O_EXCL: one file per session, never two writers, never truncation.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        self._file = os.fdopen(fd, "a", encoding="utf-8")
        self._fsync_dir(path.parent)

    @classmethod
    def resume(cls, path: Path, clock: Callable[[], float] = time.time) -> JournalWriter:
        """Append to a finished or crashed session's journal (recover, abort, late notes).

        A torn last line (the crash's half-written event) is cut off first, so the file stays
        a clean sequence of lines; numbering continues after the last complete event.
        """
        data = path.read_bytes()
        complete = data
        tail = data[data.rfind(b"\n") + 1 :]
        if tail.strip() and not _whole(tail):  # torn: the crash's half-written event
            complete = data[: len(data) - len(tail)]
            with path.open("r+b") as f:
                f.truncate(len(complete))
        elif data and not data.endswith(b"\n"):
            with path.open("ab") as f:  # a whole last event whose newline never made it
                f.write(b"\n")
        seq = _last_seq(complete)
        if seq is None:  # the last event is not plain: read every line (raises on a bad one)
            events = read_journal(path).events
            seq = events[-1].seq if events else 0
        writer = cls.__new__(cls)
        writer.path = path
        writer._clock = clock
        writer._start_counts(seq)
        writer._file = path.open("a", encoding="utf-8")
        return writer

    def _start_counts(self, seq: int) -> None:
        self._lock = threading.Lock()  # positions and writes
        self._sync_lock = threading.Lock()  # one fsync at a time
        self._seq = seq
        self.written = seq
        """The last seq handed to the OS (written and flushed)."""
        self.synced = seq
        """The last seq on disk: every event up to it is durable."""

    def append(self, event: Event) -> Event:
        """Write the event and fsync; return it with its seq and ts. Only then tell anyone."""
        return self.append_batch([event])[0]

    def append_batch(self, events: Sequence[Event]) -> list[Event]:
        """Write several events with one flush and (at most) one fsync; return them with their
        seq and ts, in order, once they are on disk. Only then tell anyone."""
        placed = self.write_batch(events)
        if placed:
            self.sync_through(placed[-1].seq)
        return placed

    def write_batch(self, events: Sequence[Event]) -> list[Event]:
        """Write several events with one flush, not yet durable: `sync_through` their last seq
        before telling anyone about them."""
        with self._lock:
            placed: list[Event] = []
            lines: list[str] = []
            for event in events:
                self._seq += 1
                stored = with_position(event, self._seq, round(self._clock(), 6))
                placed.append(stored)
                lines.append(json.dumps(to_json(stored), ensure_ascii=False, separators=(",", ":")))
            if lines:
                self._file.write("\n".join(lines) + "\n")
                self._file.flush()
                self.written = self._seq
            return placed

    def sync_through(self, seq: int) -> None:
        """Return once every event up to `seq` is on disk. One fsync covers every event written
        before it began, so the threads that write while one runs share the next one instead
        of queueing one each (when many hosts answer at once, an fsync can take 10-25 ms)."""
        with self._sync_lock:
            if self.synced >= seq:
                return  # a sync that began after it was written has covered it
            covered = self.written
            os.fsync(self._file.fileno())
            self.synced = covered

    def close(self) -> None:
        with self._sync_lock, self._lock:
            if not self._file.closed:
                self._file.close()

    @staticmethod
    def _fsync_dir(directory: Path) -> None:
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_LATE_LOCK = threading.Lock()
"""Serializes appends to finished journals within this process (late notes, exports)."""


def append_to_finished(path: Path, event: Event, clock: Callable[[], float] = time.time) -> Event:
    """Append one event to the journal of a session that has ended; returns it placed.

    For what happens after the session's own writer closed: retrospective notes, the record
    of a findings export. Raises OSError when the file cannot be written.
    """
    with _LATE_LOCK:
        writer = JournalWriter.resume(path, clock=clock)
        try:
            return writer.append(event)
        finally:
            writer.close()


@dataclass(frozen=True)
class JournalRead:
    path: str
    events: tuple[Event, ...]
    torn: bool
    """The last line was incomplete (a crash mid-write); it was left out."""
    skipped: int = 0
    """Lines of unknown event types (from a newer gameday), left out."""


def read_journal(path: Path | str) -> JournalRead:
    """Read a journal; a torn last line is tolerated, anything else malformed is an InputError."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(name, 0, "", f"cannot read journal: {exc.strerror or exc}") from None
    return read_journal_bytes(name, raw)


def read_journal_bytes(name: str, raw: bytes) -> JournalRead:
    """`read_journal` of a journal's contents already read; `name` is its path."""
    lines = raw.split(b"\n")
    numbered = [(n, line) for n, line in enumerate(lines[:-1], start=1) if line.strip()]
    bodies = _decode_all(numbered)
    if bodies is None:  # a bad line somewhere: find it, one line at a time
        bodies = [_decode_line(name, number, line) for number, line in numbered]
    torn = False
    if lines[-1].strip():  # no newline after it: the write may not have finished
        try:
            bodies.append((len(lines), _decode_line(name, len(lines), lines[-1])[1]))
        except InputError:
            torn = True
    events: list[Event] = []
    skipped = 0
    for number, body in bodies:
        try:
            events.append(from_json(body))
        except ValueError as exc:
            if str(exc).startswith("unknown event type"):
                skipped += 1
                continue
            raise InputError(name, number, str(body.get("type", "")), str(exc)) from None
    return JournalRead(name, tuple(events), torn, skipped)


def _decode_all(numbered: list[tuple[int, bytes]]) -> list[tuple[int, dict[str, Any]]] | None:
    """Every line decoded in one call (a long session has hundreds of thousands); None when
    one of them is not a JSON object."""
    try:
        decoded = json.loads(b"[" + b",".join(line for _, line in numbered) + b"]")
    except (ValueError, UnicodeDecodeError):
        return None
    if len(decoded) != len(numbered) or not all(isinstance(b, dict) for b in decoded):
        return None
    return [(number, body) for (number, _), body in zip(numbered, decoded, strict=True)]


def _decode_line(name: str, number: int, line: bytes) -> tuple[int, dict[str, Any]]:
    try:
        body = json.loads(line.decode("utf-8"))
        if not isinstance(body, dict):
            raise ValueError("not a JSON object")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(name, number, "", f"journal line is not valid: {exc}") from None
    return number, body


def _whole(line: bytes) -> bool:
    """True when the line is a whole JSON object."""
    try:
        return isinstance(json.loads(line.decode("utf-8")), dict)
    except (ValueError, UnicodeDecodeError):
        return False


def _last_seq(data: bytes) -> int | None:
    """The seq of the journal's last event, read from its last line alone (a 4-hour journal has
    ~290 000 lines, and resuming only needs to go on numbering); 0 for an empty journal, None
    when that line is not a plain event (the caller reads the whole journal)."""
    lines = data.rstrip().rsplit(b"\n", 1)
    if not lines[-1].strip():
        return 0
    try:
        body = json.loads(lines[-1].decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    seq = body.get("seq") if isinstance(body, dict) else None
    known = isinstance(body, dict) and str(body.get("type")) in EVENT_TYPES
    return seq if known and isinstance(seq, int) and not isinstance(seq, bool) else None


def iter_journals(directory: Path) -> Iterator[Path]:
    """Journals in a directory, newest first."""
    if not directory.is_dir():
        return iter(())
    return iter(sorted(directory.glob("*.jsonl"), key=lambda p: p.stat().st_mtime, reverse=True))
