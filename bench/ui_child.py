"""One console measurement in a fresh process (run by bench.ui); prints one JSON object.

python -m bench.ui_child first_frame T0   seconds from T0 (the parent's wall clock before
                                          it started this process) to the first frame
python -m bench.ui_child idle             CPU of the console on its plan screen
python -m bench.ui_child busy             key-to-screen and CPU with 32 hosts faulted and
                                          20 probes sampled every second
"""

from __future__ import annotations

import sys
import time

STARTED = time.time()

import asyncio  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

SIZE = (160, 48)


def first_frame(t0: float) -> dict[str, Any]:
    # the same imports as `gameday demo`, in the same order
    import gameday.cli  # noqa: F401
    from gameday.app.demo import DemoBackend, DemoOptions
    from gameday.ui.app import make_app

    folder = Path(tempfile.mkdtemp(prefix="gdbench-ui-"))
    app = make_app(DemoBackend(DemoOptions(journal_dir=folder)))
    shown: dict[str, float] = {}

    async def pilot(p: Any) -> None:
        await p.pause()
        shown["at"] = time.time()
        p.app.exit()

    app.run(headless=True, size=SIZE, auto_pilot=pilot)
    return {
        "first_frame_ms": round((shown["at"] - t0) * 1000, 1),
        "interpreter_ms": round((STARTED - t0) * 1000, 1),
        "paramiko_imported": float("paramiko" in sys.modules),
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _cpu_over(seconds: float, pilot: Any) -> float:
    cpu, wall = _cpu(), time.monotonic()
    await pilot.pause(seconds)
    return round(100 * (_cpu() - cpu) / (time.monotonic() - wall), 2)


def idle() -> dict[str, Any]:
    from gameday.app.demo import DemoBackend, DemoOptions
    from gameday.ui.app import make_app

    folder = Path(tempfile.mkdtemp(prefix="gdbench-ui-"))
    app = make_app(DemoBackend(DemoOptions(journal_dir=folder)))
    result: dict[str, Any] = {}

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(1.0)
            result["idle_cpu_pct"] = await _cpu_over(10.0, pilot)

    asyncio.run(run())
    return result


def busy() -> dict[str, Any]:
    from bench.fleet32 import Fleet32Backend, write_fleet
    from gameday.app.demo import DemoOptions
    from gameday.ui.app import make_app
    from gameday.ui.screens.session import SessionScreen

    folder = Path(tempfile.mkdtemp(prefix="gdbench-ui-"))
    backend = Fleet32Backend(DemoOptions(journal_dir=folder), files=write_fleet(folder))
    app = make_app(backend, confirm_over=64)  # 32 targets: a yes is enough for the bench
    result: dict[str, Any] = {}

    async def run() -> None:
        from textual.widgets import Input

        async with app.run_test(size=SIZE) as pilot:
            await _start(pilot)
            screen = app.screen
            assert isinstance(screen, SessionScreen)
            await _until(pilot, lambda: _faulted(backend) >= 32, 90)
            await pilot.pause(2.0)
            result["session_cpu_pct"] = await _cpu_over(10.0, pilot)
            note = screen.query_one("#note", Input)
            result.update(await _keys(pilot, note))
            await pilot.press("ctrl+k")
            await _until(pilot, lambda: screen.kill_state == "done", 90)

    asyncio.run(run())
    return result


async def _start(pilot: Any) -> None:
    from gameday.ui.screens.plan import PlanScreen

    await _until(pilot, lambda: isinstance(pilot.app.screen, PlanScreen), 20)
    screen = pilot.app.screen
    # Start is refused while the highlighted plan is computed: wait until it is on screen.
    await _until(pilot, lambda: screen.shown is not None, 20)
    await pilot.press("s")
    await pilot.pause()
    await pilot.press("y")
    await pilot.pause()


def _faulted(backend: Any) -> int:
    fleets = backend.fleets
    return len(fleets[-1].active()) if fleets else 0


async def _until(pilot: Any, condition: Any, limit: float) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the console did not get there within {limit:g}s")
        await pilot.pause(0.05)


async def _keys(pilot: Any, note: Any, count: int = 200) -> dict[str, float]:
    """Type `count` letters into the note field, 20 a second, while the session runs: from the
    key to the screen having processed it (with whatever was queued before it) and painted."""
    latencies = []
    for index in range(count):
        letter = "abcdefghijklmnopqrstuvwxyz"[index % 26]
        latencies.append(await _key_to_screen(pilot, note, letter))
        await asyncio.sleep(0.05)
    ordered = sorted(latencies)
    return {
        "key_to_screen_p50_ms": round(statistics.median(ordered) * 1000, 1),
        "key_to_screen_p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 1),
        "keys": float(count),
    }


async def _key_to_screen(pilot: Any, note: Any, letter: str) -> float:
    """Seconds from the key arriving (as the terminal driver hands it over) until the note field
    holds it and the screen has painted it. (Pilot.press would also wait for the whole process
    to go idle, which a running session never quite does.)"""
    from textual import events

    before = len(note.value)
    key = events.Key(letter, letter)
    key.set_sender(pilot.app)
    started = time.perf_counter()
    pilot.app._driver.send_message(key)
    deadline = started + 10
    while len(note.value) == before:
        if time.perf_counter() > deadline:
            raise AssertionError("the note field did not take the key")
        await asyncio.sleep(0)
    pilot.app.screen._on_timer_update()  # paint what changed, as the next frame would
    if not note.value.endswith(letter):
        raise AssertionError("the note field shows another key")
    return time.perf_counter() - started


def main() -> int:
    what = sys.argv[1]
    if what == "first_frame":
        out = first_frame(float(sys.argv[2]))
    elif what == "idle":
        out = idle()
    else:
        out = busy()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
