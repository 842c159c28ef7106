"""KeptKeys: the keys typed between a confirmed start and its session's note box."""

from __future__ import annotations

import time

import pytest
from textual import events

from gameday.ui.kept_keys import HOLD_FOR, KeptKeys

SCREEN = object()
"""The session's screen, where the note box is."""


class Box:
    def __init__(self) -> None:
        self.got: list[str] = []

    def post_message(self, message: events.Key) -> bool:
        self.got.append(message.key)
        return True


def _key(name: str) -> events.Key:
    return events.Key(name, name if len(name) == 1 else None)


def test_kept_keys_reach_the_note_box_in_the_order_typed_then_straight() -> None:
    kept, box = KeptKeys(), Box()
    before = kept.keeping
    kept.start()
    assert (before, kept.keeping) == (False, True)
    for name in ("a", "enter", "b"):  # the app keeps them as they come
        kept.keep(_key(name))
    kept.hand_to(box, SCREEN)
    assert box.got == ["a", "enter", "b"] and not kept.keeping
    kept.keep(_key("c"))  # after the hand-over, before the box has the focus: straight to it
    assert box.got == ["a", "enter", "b", "c"]


def test_a_start_that_never_shows_its_session_does_not_leave_the_console_deaf(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    kept, box = KeptKeys(), Box()
    kept.start()
    kept.keep(_key("a"))
    now[0] += HOLD_FOR + 0.1
    assert not kept.keeping, "the terminal's keys go where they would have gone"
    kept.hand_to(box, SCREEN)  # a session screen that came late still gets what was kept
    assert box.got == ["a"]
    kept.start()
    kept.keep(_key("x"))
    now[0] += HOLD_FOR + 0.1
    kept.start()  # a new start after one that never came up: nothing of the old one
    kept.keep(_key("y"))
    kept.hand_to(box, SCREEN)
    assert box.got == ["a", "y"]


def test_after_the_hand_over_keys_go_to_the_note_box_until_it_has_the_focus() -> None:
    """For a moment after the hand-over the note box has not the focus yet (it is given it a
    moment later; the screen's first widget may have it): keys typed then were lost."""
    kept, box = KeptKeys(), Box()
    kept.start()
    kept.hand_to(box, SCREEN)
    assert kept.takes(None, SCREEN) and kept.takes(object(), SCREEN)
    kept.keep(_key("s"))
    assert box.got == ["s"]
    assert not kept.takes(box, SCREEN), "the box has the focus: keys go where the focus is"
    assert not kept.takes(None, SCREEN), "and from then on, wherever the focus is"


def test_a_dialog_over_the_session_gets_its_own_keys_even_right_after_the_hand_over() -> None:
    kept, box = KeptKeys(), Box()
    kept.start()
    kept.hand_to(box, SCREEN)
    dialog = object()  # say, a ladder's go/no-go
    assert not kept.takes(object(), dialog)
