"""`run_console`: what the console process sets up around the app."""

from __future__ import annotations

import sys
from typing import cast

import pytest

from gameday.ui import launch
from gameday.ui.backend import Backend


class _App:
    runner = None

    def __init__(self) -> None:
        self.interval_while_running = 0.0

    def run(self) -> int:
        self.interval_while_running = sys.getswitchinterval()
        return 0


def test_the_engine_threads_are_not_kept_waiting_behind_the_screen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the kill switch's answers hop through SSH threads; at Python's default 5 ms a busy
    # screen held each hop back (~200 ms against ~70 ms for 6 lab hosts)
    app = _App()
    monkeypatch.setattr(launch, "make_app", lambda _backend, confirm_over: app)
    before = sys.getswitchinterval()
    try:
        assert launch.run_console(cast(Backend, object())) == 0
        assert app.interval_while_running <= 0.001
    finally:
        sys.setswitchinterval(before)
