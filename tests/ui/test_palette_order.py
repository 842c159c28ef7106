"""The command palette a facilitator opens with ctrl+p: gameday's commands come first, so the
kill switch is on screen at 80x24 without scrolling past Textual's own commands."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from textual.command import CommandList, CommandPalette, Hits

from gameday.ui.app import GamedayApp
from gameday.ui.palette import GamedayCommands
from gameday.ui.screens.plan import PlanScreen
from tests.ui.conftest import in_loop, until


@pytest.fixture
def slow_first_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """gameday's commands answer late, as in a fresh process where building them first imports
    the screens: the order on screen must not depend on which provider answers first."""
    discover = GamedayCommands.discover

    async def late(self: GamedayCommands) -> Hits:
        await asyncio.sleep(0.2)
        async for hit in discover(self):
            yield hit

    monkeypatch.setattr(GamedayCommands, "discover", late)


@in_loop
async def test_an_empty_palette_lists_gamedays_commands_before_textuals(
    fast: Callable[..., GamedayApp], slow_first_answer: None
) -> None:
    app = fast()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PlanScreen), "the plan screen")
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
        listed = app.screen.query_one(CommandList)
        await until(pilot, lambda: listed.option_count >= 12, "every command listed")
        shown = [str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count)]
    first = [prompt.split("\n", 1)[0] for prompt in shown[:2]]
    assert first == ["Kill switch", "Start the highlighted scenario"], shown
    assert any(prompt.startswith("Theme") for prompt in shown)  # Textual's are still offered
