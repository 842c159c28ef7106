"""Keys typed right after a start is confirmed, kept for the session's note box.

A facilitator who confirms a start and goes straight on typing a note (or keys that arrive
in one burst, from a terminal multiplexer or a busy console) types while the dialog closes and
before the session's screen is up: the keys were lost, and a plan-screen key could have acted.
From the yes on, the app keeps the keys here, in the order they come (it hands the start's
dialog its keys itself, one at a time), and the session screen hands them to its note box.
"""

from __future__ import annotations

import time
from typing import Protocol

from textual import events

HOLD_FOR = 2.0
"""Seconds the app holds back the keys from the terminal at most: a session screen that never
comes up (its start failed) must not leave the console deaf. Keys then go where they would have
gone; those already kept wait for a session screen that may still come."""


class KeySink(Protocol):
    """Where kept keys go once it is up (the note box)."""

    def post_message(self, message: events.Key) -> bool: ...


class KeptKeys:
    """Keys kept from a confirmed start until the session's note box takes them."""

    def __init__(self) -> None:
        self._keys: list[events.Key] | None = None
        self._since = 0.0
        self._sink: KeySink | None = None
        self._sink_screen: object = None

    def start(self) -> None:
        """Keep keys from now on (a start was confirmed), until `hand_to`."""
        if self._keys is None or self._expired():
            self._keys, self._since, self._sink = [], time.monotonic(), None

    @property
    def keeping(self) -> bool:
        """Whether the app holds back the keys from the terminal now (see HOLD_FOR)."""
        return self._keys is not None and not self._expired()

    def takes(self, focused: object, screen: object) -> bool:
        """Whether a key from the terminal is this one's now: while keeping, and after the
        hand-over until the note box has the focus (it is given it a moment after its screen
        is up; until then the app gives keys to whatever had it first), unless another
        screen (a dialog) is on top by then: its keys are its own."""
        if self.keeping:
            return True
        if self._sink is None or self._expired():
            return False
        if focused is self._sink or screen is not self._sink_screen:
            self._sink = None  # handed over: from now on keys go where the focus is
            return False
        return True

    def keep(self, key: events.Key) -> None:
        """Keep `key`, or, once handed over, give it to the note box."""
        if self._sink is not None:
            self._sink.post_message(_copy(key))
        elif self._keys is not None:
            self._keys.append(key)

    def hand_to(self, sink: KeySink, screen: object) -> None:
        """Give every kept key to `sink` (on `screen`), in the order kept, and stop keeping."""
        kept, self._keys = self._keys or [], None
        self._sink, self._sink_screen, self._since = sink, screen, time.monotonic()
        for key in kept:
            sink.post_message(_copy(key))

    def _expired(self) -> bool:
        return time.monotonic() - self._since > HOLD_FOR


def _copy(key: events.Key) -> events.Key:
    """A fresh event for the same key (an event is handled once, by one widget)."""
    return events.Key(key.key, key.character)
