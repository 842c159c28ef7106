"""The console in front of a room: what is pressed is what happens, what matters is seen first.

On the demo fleet with the real engine: key bursts, starting while planning, clicks, typed
confirmation, the alarm banner (abort rule, lease lost, kill switch), no stale word after the
kill switch, open dialogs kept current, keys visible (help, palette, dialog labels), preflight
only, and the console at 80x24.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from textual import events
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import Button, Input, OptionList, Static

from gameday.core.plan import Plan
from gameday.core.session import events as ev
from gameday.ui.app import GamedayApp
from gameday.ui.palette import commands
from gameday.ui.screens.confirm import TypedConfirmScreen
from gameday.ui.screens.help import HelpScreen
from gameday.ui.screens.plan import PlanScreen
from gameday.ui.screens.preflight import PreflightScreen
from gameday.ui.screens.session import SessionScreen
from gameday.ui.widgets.hosts import HostsTable
from gameday.ui.widgets.status import AlarmBanner, StatusLine
from gameday.ui.widgets.timeline import Timeline
from tests.ui.conftest import (
    WAIT,
    burst,
    choose,
    confirm_dialog,
    demo,
    in_loop,
    injected,
    journal_events,
    session,
    text_of,
    until,
)

SIZE = (140, 48)


def _notes(app: GamedayApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def _every_plan(pilot: Pilot[int]) -> None:
    """Wait until the plan screen shown has the plan of every scenario in its list."""
    screen = pilot.app.screen
    assert isinstance(screen, PlanScreen)
    options = screen.query_one("#scenarios", OptionList)
    await until(
        pilot,
        lambda: options.option_count > 0 and len(screen.plans) == options.option_count,
        "every plan",
    )


def _highlighted_id(screen: PlanScreen) -> str:
    key = screen.highlighted_key()
    assert key is not None
    return Path(key).stem


# --- start exactly what is shown --------------------------------------------------------------
@in_loop
async def test_a_key_burst_opens_the_dialog_of_the_scenario_highlighted_after_it(
    instant: Callable[..., GamedayApp],
) -> None:
    app = instant()
    async with app.run_test(size=SIZE) as pilot:
        screen = await choose(pilot, "api-partition")
        await _every_plan(pilot)
        await pilot.press("down", "down", "s")
        dialog = await confirm_dialog(pilot)
        assert _highlighted_id(screen) == "web-cpu"
        assert dialog.question == "Start demo-web-cpu on 2 hosts?"
        assert screen.shown == screen.highlighted_key(), "the plan on screen is the one started"
        assert "demo-web-cpu" in text_of(screen.query_one("#plan", Static))


@in_loop
async def test_keys_queued_faster_than_the_screen_redraws_start_the_last_highlight(
    instant: Callable[..., GamedayApp],
) -> None:
    """The three keys are queued before any of them is handled (a laggy SSH link)."""
    app = instant()
    async with app.run_test(size=SIZE) as pilot:
        await choose(pilot, "api-partition")
        await _every_plan(pilot)
        for key in ("down", "down", "s"):
            app.post_message(events.Key(key, None))
        dialog = await confirm_dialog(pilot)
        assert dialog.question == "Start demo-web-cpu on 2 hosts?"
        assert "web-1" in dialog.detail or "web-3" in dialog.detail


@in_loop
async def test_start_is_refused_with_a_word_while_the_plan_is_computed(
    instant: Callable[..., GamedayApp],
) -> None:
    app = instant()
    backend = demo(app)
    gate = threading.Event()
    real_plan = backend.plan

    def slow_plan(key: str) -> Plan:
        gate.wait(WAIT)
        return real_plan(key)

    backend.plan = slow_plan  # type: ignore[method-assign]
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: isinstance(app.screen, PlanScreen), "the plan screen")
            screen = app.screen
            assert isinstance(screen, PlanScreen)
            options = screen.query_one("#scenarios", OptionList)
            await until(pilot, lambda: options.option_count > 0, "the list")
            await pilot.press("s")
            await pilot.pause()
            assert app.screen is screen, "a dialog opened for a plan nobody has seen"
            assert any("Still planning" in note for note in _notes(app))
            gate.set()
            await _every_plan(pilot)
            await pilot.press("s")
            await confirm_dialog(pilot)
    finally:
        gate.set()


@in_loop
async def test_one_click_selects_and_only_a_double_click_starts(
    instant: Callable[..., GamedayApp],
) -> None:
    app = instant()
    async with app.run_test(size=SIZE) as pilot:
        screen = await choose(pilot, "api-partition")
        await _every_plan(pilot)
        options = screen.query_one("#scenarios", OptionList)
        await pilot.click(options, offset=(4, 9))
        await pilot.pause()
        clicked = options.highlighted
        assert clicked not in (None, 0), "the click did not land on another scenario"
        assert app.screen is screen, "one click started something"
        await pilot.click(options, offset=(4, 9), times=2)
        dialog = await confirm_dialog(pilot)
        assert _highlighted_id(screen) in dialog.question.replace("demo-", "")


async def _typed_start_dialog(pilot: Pilot[int]) -> None:
    """Press start on web-cpu and wait for the dialog that asks for its id typed (the app's
    `confirm_over` must be under its 2 targets)."""
    await choose(pilot, "web-cpu")
    await pilot.press("s")
    await until(pilot, lambda: isinstance(pilot.app.screen, TypedConfirmScreen), "the dialog")


@in_loop
async def test_a_large_start_needs_the_scenario_id_typed(
    instant: Callable[..., GamedayApp],
) -> None:
    app = instant()
    app.confirm_over = 1  # web-cpu has 2 targets
    async with app.run_test(size=SIZE) as pilot:
        await _typed_start_dialog(pilot)
        await pilot.press("y", "enter")  # a reflex yes starts nothing
        await pilot.pause()
        assert isinstance(app.screen, TypedConfirmScreen) and app.runner is None
        app.screen.query_one("#word", Input).value = ""
        await pilot.press(*"demo-web-cpu", "enter")
        await until(pilot, lambda: app.runner is not None, "the start")
        assert isinstance(app.screen, SessionScreen)


@in_loop
async def test_a_key_right_after_the_typed_id_and_enter_does_not_refuse_the_start(
    instant: Callable[..., GamedayApp],
) -> None:
    """The id, Enter and one more key reach the console before it has handled any of them:
    the start goes ahead on the id as typed (the next key used to join the id first, and the
    start was refused as mistyped)."""
    app = instant()
    app.confirm_over = 1  # web-cpu has 2 targets
    async with app.run_test(size=SIZE) as pilot:
        await _typed_start_dialog(pilot)
        burst(app, [*"demo-web-cpu", "enter", "n"])
        await until(pilot, lambda: app.runner is not None, "the start")
        await until(pilot, lambda: isinstance(app.screen, SessionScreen), "the session")
        await pilot.pause()
        assert not any("exactly" in note for note in _notes(app))
        assert app.screen.query_one("#note", Input).value == "n", "the key starts the note"


@in_loop
async def test_a_mistyped_id_keeps_the_keys_typed_after_its_enter_in_the_dialog(
    instant: Callable[..., GamedayApp],
) -> None:
    """Enter on a mistyped id starts nothing; what is typed after it goes on in the field."""
    app = instant()
    app.confirm_over = 1
    async with app.run_test(size=SIZE) as pilot:
        await _typed_start_dialog(pilot)
        burst(app, [*"demo-web", "enter", *"-cpu"])
        await until(pilot, lambda: any("exactly" in n for n in _notes(app)), "the refusal")
        await pilot.pause()
        assert isinstance(app.screen, TypedConfirmScreen) and app.runner is None
        assert app.screen.query_one("#word", Input).value == "demo-web-cpu"


@in_loop
async def test_the_scenario_list_stops_at_its_ends(
    instant: Callable[..., GamedayApp],
) -> None:
    """↑ pressed once too often to reach the top stays on the top scenario (the list used
    to wrap round to the bottom one, and `s` then asked to start that)."""
    app = instant()
    async with app.run_test(size=SIZE) as pilot:
        screen = await choose(pilot, "api-process-kill")
        options = screen.query_one("#scenarios", OptionList)
        last = options.option_count - 1
        await pilot.press("up", "up", "up", "up", "up", "up")
        top = options.highlighted
        await pilot.press(*["down"] * (options.option_count + 2))
        bottom = options.highlighted
    assert (top, bottom) == (0, last)


@in_loop
async def test_every_screen_lists_the_kill_switch_first_in_its_footer(
    instant: Callable[..., GamedayApp],
) -> None:
    """At 80 columns the footer is cut at its end: the kill switch was the key cut off."""
    app = instant()
    async with app.run_test(size=(80, 24)) as pilot:
        await choose(pilot, "web-cpu")
        firsts = [_first_footer_key(app)]
        await pilot.press("h")
        await until(pilot, lambda: type(app.screen).__name__ == "HistoryScreen", "the history")
        await pilot.pause()
        firsts.append(_first_footer_key(app))
    assert firsts == ["ctrl+k", "ctrl+k"]


def _first_footer_key(app: GamedayApp) -> str:
    from textual.widgets._footer import FooterKey

    return app.screen.query(FooterKey).first().key


@in_loop
async def test_dialog_buttons_and_keys_are_shown_as_written(
    instant: Callable[..., GamedayApp],
) -> None:
    app = instant()
    async with app.run_test(size=SIZE) as pilot:
        await choose(pilot, "web-cpu")
        await pilot.press("s")
        await confirm_dialog(pilot)
        dialog = app.screen
        yes = str(dialog.query_one("#yes", Button).label)
        no = str(dialog.query_one("#no", Button).label)
        keys = text_of(dialog.query_one("#keys", Static))
    assert yes == "Start [y]" and no == "No [n]"
    assert "y: start" in keys and "esc" in keys


# --- the alarm banner and no stale word -------------------------------------------------------
@in_loop
async def test_an_abort_rule_raises_the_banner_until_it_is_acknowledged(
    instant: Callable[..., GamedayApp],
) -> None:
    app = instant()
    async with app.run_test(size=SIZE) as pilot:
        screen = await session(pilot, "api-partition")
        await until(pilot, lambda: screen.ended, "the end")
        await pilot.pause()
        banner = screen.query_one(AlarmBanner)
        shown = text_of(banner)
        assert banner.display
        assert "ABORT RULE FIRED: error_rate above 5% for 2 samples in a row (seen" in shown
        assert "verdict ABORTED" in shown and "esc: acknowledge" in shown
        await pilot.press("escape")
        await pilot.pause()
        assert not screen.query_one(AlarmBanner).display and app.screen is screen


@in_loop
async def test_a_lost_lease_raises_the_banner(fast: Callable[..., GamedayApp]) -> None:
    app = fast(speed=10)
    async with app.run_test(size=SIZE) as pilot:
        screen, _ = await injected(pilot, "api-process-kill")
        for host in demo(app).hosts[-1].values():
            host.heartbeat = lambda: False  # type: ignore[method-assign]
        banner = screen.query_one(AlarmBanner)
        await until(pilot, lambda: "LEASE LOST" in text_of(banner), "the lease-lost banner")
        await until(pilot, lambda: screen.ended, "the end")
        await pilot.pause()
        assert banner.display and "LEASE LOST" in text_of(banner)


@in_loop
async def test_after_the_kill_switch_no_word_on_screen_is_stale(
    fast: Callable[..., GamedayApp],
) -> None:
    app = fast(speed=10)
    async with app.run_test(size=SIZE) as pilot:
        screen = await session(pilot, "web-cpu")  # two waves: the second never runs
        hosts = screen.query_one(HostsTable)
        await until(pilot, lambda: "injected" in hosts.statuses.values(), "an injected fault")
        await pilot.press("ctrl+k")
        banner = screen.query_one(AlarmBanner)
        assert "KILL SWITCH" in text_of(banner), "the banner waits for nothing"
        await until(pilot, lambda: screen.ended, "the end")
        await pilot.pause()
        status = text_of(screen.query_one(StatusLine), width=200)
        rows = set(hosts.statuses.values())
        shown = text_of(banner)
        await pilot.press("escape")
        await pilot.pause()
        acknowledged = not banner.display
    assert "verdict ABORTED" in status and "HOLDING" not in status and "MONITOR" not in status
    assert rows == {"reverted", "not run"}, rows
    assert "KILL SWITCH: done in" in shown and "clean" in shown
    assert acknowledged


@in_loop
async def test_an_open_quit_dialog_follows_the_session_to_its_end(
    fast: Callable[..., GamedayApp],
) -> None:
    app = fast(speed=10)
    async with app.run_test(size=SIZE) as pilot:
        screen, _ = await injected(pilot, "web-cpu")
        await pilot.press("ctrl+q")
        dialog = await confirm_dialog(pilot, "the quit dialog")
        assert dialog.question.startswith("A session is running")
        await pilot.press("ctrl+k")
        # At once: "the kill switch is pulled", or already "the session has ended".
        assert not dialog.question.startswith("A session is running")
        await until(pilot, lambda: dialog.question.startswith("The session has ended"), "end")
        assert "(ABORTED)" in dialog.question
        assert str(dialog.query_one("#yes", Button).label) == "Quit [y]"
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen


# --- keys you can see -------------------------------------------------------------------------
@in_loop
async def test_the_help_screen_lists_every_binding_of_every_screen(
    instant: Callable[..., GamedayApp],
) -> None:
    from gameday.ui.screens.findings import FindingsScreen
    from gameday.ui.screens.team import TeamScreen

    app = instant()
    async with app.run_test(size=SIZE) as pilot:
        await choose(pilot, "web-cpu")
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        shown = "\n".join(text_of(s, width=100) for s in app.screen.query(Static))
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PlanScreen)
    classes = (GamedayApp, PlanScreen, SessionScreen, FindingsScreen, PreflightScreen, TeamScreen)
    for cls in classes:
        for binding in cls.BINDINGS:
            assert isinstance(binding, Binding), binding
            assert binding.description in shown, binding
    assert "ctrl+k" in shown and "double-click" in shown


@in_loop
async def test_the_palette_offers_gamedays_commands_and_runs_the_kill_switch(
    fast: Callable[..., GamedayApp],
) -> None:
    app = fast(speed=2)  # slow enough that the session is still running at the enter
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PlanScreen), "the plan screen")
        names = [name for name, _, _ in commands(app)]
        for wanted in (
            "Kill switch",
            "Start the highlighted scenario",
            "Preflight only",
            "Findings",
            "Export findings",
            "Add a note",
            "Help",
        ):
            assert wanted in names
        screen, _ = await injected(pilot, "web-cpu")
        assert any(name.startswith("Jump to host web-") for name, _, _ in commands(app))
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"Kill switch")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: screen.ended, "the end")
        pulled = [e for e in journal_events(app) if isinstance(e, ev.KillSwitchPulled)]
    assert [e.source for e in pulled] == ["keypress"]


# --- preflight only ---------------------------------------------------------------------------
@in_loop
async def test_preflight_only_says_why_not_per_host_and_injects_nothing(
    instant: Callable[..., GamedayApp], tmp_path: Path
) -> None:
    app = instant()
    async with app.run_test(size=SIZE) as pilot:
        await choose(pilot, "web-latency")
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PreflightScreen), "the screen")
        screen = app.screen
        assert isinstance(screen, PreflightScreen)
        await until(pilot, lambda: screen.report is not None, "the report")
        report = screen.report
        shown = text_of(screen.query_one("#preflight-results", Static), width=140)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PlanScreen)
    assert report is not None and not report.ok
    assert [(r.subject, r.check) for r in report.failures] == [
        ("web-3", "network_latency capability")
    ]
    assert "FAIL" in shown and "sch_netem" in shown and "pass" in shown
    assert app.runner is None
    assert not list(tmp_path.glob("*.jsonl")), "preflight only journaled a session"
    assert all(fleet.active() == {} for fleet in demo(app).fleets)


# --- 80x24 ------------------------------------------------------------------------------------
@in_loop
async def test_at_80_columns_the_status_wraps_and_the_hosts_keep_their_status(
    fast: Callable[..., GamedayApp],
) -> None:
    app = fast(speed=10)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await session(pilot, "web-cpu")
        await until(pilot, lambda: screen.state.phase == "monitor", "the monitor phase")
        await pilot.pause(0.3)
        status = text_of(screen.query_one(StatusLine), width=78).strip().splitlines()
        hosts = screen.query_one(HostsTable)
        status_column = list(hosts.columns.values())[1]
        visible = hosts.scrollable_content_region.width
        x = sum(c.get_render_width(hosts) for c in list(hosts.columns.values())[:2])
        gauges = [g.size.height for g in screen.query("ProbeGauge")]
        await pilot.press("ctrl+k")
        await until(pilot, lambda: screen.ended, "the end")
    assert status[0].startswith("MONITOR · wave 1/2") and " left" in status[0]
    assert "rides out CPU pressure" in status[1]
    assert str(status_column.label) == "status" and x <= visible
    assert gauges == [1, 1, 1], "every probe on one line each"


@in_loop
async def test_the_timeline_wraps_again_after_a_resize(
    instant: Callable[..., GamedayApp],
) -> None:
    app = instant()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await session(pilot, "web-cpu")
        await until(pilot, lambda: screen.ended, "the end")
        await pilot.pause()
        timeline = screen.query_one(Timeline)
        wide = len(timeline.lines)
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.3)
        narrow = len(timeline.lines)
        longest = max(line.cell_length for line in timeline.lines)
        width = timeline.scrollable_content_region.width
    assert narrow > wide
    assert longest <= width
