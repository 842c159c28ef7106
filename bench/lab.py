"""gameday beside its baselines on a real lab fleet: the kill switch and the cold launch.

For each host count (8 and 24 by default) and each of ROUNDS rounds (after WARMUP rounds that
are not counted), on the same hosts:

    cold launch   gameday: connect + preflight + arm + inject + verify, through the same wiring
                  as `gameday run` (`live_session`), until the session is monitoring
                  bare: a paramiko pool doing connect + inject + verify
    kill switch   gameday: `Session.kill_switch` — the path the console and `gameday run` take
                  armed floor, exec pool, ControlMaster (see bench.baselines)

The lab's load generator and Prometheus are paused (SIGSTOP) while this runs, and every inject
and every revert is checked from outside the hosts (`ip netns exec … tc qdisc show`). The order
of the methods rotates from round to round so none always runs on a warmer machine.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from bench import baselines, labkit
from gameday.app.live import LiveOptions, live_session, load_plan
from gameday.core.faults import FaultPlan
from gameday.core.session import events as ev
from gameday.lab.model import LabInfo

HOST_COUNTS = tuple(
    int(n) for n in os.environ.get("GAMEDAY_BENCH_HOSTS", "8,24").split(",") if n.strip()
)
ROUNDS = int(os.environ.get("GAMEDAY_BENCH_ROUNDS", "9"))
"""Rounds counted per host count. Five were too few on a 2-core machine whose speed moves by
±20% within a minute: the 8-host launch ratio of one run of the same code ranged 1.17-1.41
across runs; the median of nine moves about a third less."""
WARMUP = 1
"""Rounds run first and not counted: the process's first session imports the modules a session
needs (~50-100 ms here, once per console), which is not what the rounds compare."""

Figures = dict[str, dict[str, float]]


def run_lab(say: Callable[[str], None] = print, *, only_launch: bool = False) -> dict[str, Figures]:
    """{"kill_switch": {N: figures}, "launch": {N: figures}} for every host count.

    `only_launch`: only gameday's session and the bare pool run (the kill switch's baselines
    are left out; gameday's own kill switch is still timed, as every session ends with it)."""
    kill: Figures = {}
    launch: Figures = {}
    with labkit.bench_lab(max(HOST_COUNTS)) as info, labkit.background_paused(info):
        for count in HOST_COUNTS:
            names = [h.name for h in info.hosts[:count]]
            say(f"lab: {count} hosts, {ROUNDS} rounds")
            kill[str(count)], launch[str(count)] = _rounds(info, names, say, only_launch)
    return {"kill_switch": kill, "launch": launch}


def _rounds(
    info: LabInfo, names: Sequence[str], say: Callable[[str], None], only_launch: bool
) -> tuple[dict[str, float], dict[str, float]]:
    times: dict[str, list[float]] = {
        k: [] for k in ("gameday", "armed_floor", "exec_pool", "controlmaster", "launch", "bare")
    }
    folder = Path(tempfile.mkdtemp(prefix="gdbench-"))
    scenario = labkit.write_scenario(folder, names)
    with baselines.transports(info, names) as open_:
        shells = baselines.ArmedShells(open_)
        masters = baselines.ControlMasters(info, names)
        try:
            methods: list[tuple[str, Callable[[int], None]]] = [
                ("gameday", lambda r: _gameday(info, names, scenario, folder, r, times)),
                (
                    "armed_floor",
                    lambda r: _baseline(info, open_, names, r, shells.run, times, "armed_floor"),
                ),
                (
                    "exec_pool",
                    lambda r: _baseline(
                        info,
                        open_,
                        names,
                        r,
                        lambda s: baselines.exec_pool(open_, s),
                        times,
                        "exec_pool",
                    ),
                ),
                (
                    "controlmaster",
                    lambda r: _baseline(info, open_, names, r, masters.run, times, "controlmaster"),
                ),
                ("bare", lambda r: _bare_launch(info, open_, names, r, times)),
            ]
            if only_launch:
                methods = [m for m in methods if m[0] in ("gameday", "bare")]
            for round_ in range(-WARMUP, ROUNDS):
                turn = round_ % len(methods)
                for _name, method in methods[turn:] + methods[:turn]:
                    method(round_)
                say(
                    f"  {'warm-up' if round_ < 0 else f'round {round_ + 1}'}: "
                    + ", ".join(f"{k} {v[-1] * 1000:.0f} ms" for k, v in times.items() if v)
                )
                if round_ < 0:
                    for warm in times.values():
                        warm.clear()
        finally:
            shells.close()
            masters.close()
    timed = [k for k in ("gameday", "armed_floor", "exec_pool", "controlmaster") if times[k]]
    kill = {f"{key}_ms": _ms(statistics.median(times[key])) for key in timed}
    kill.update({f"{key}_max_ms": _ms(max(times[key])) for key in timed})
    if "armed_floor_ms" in kill:
        kill["ratio_to_floor"] = round(kill["gameday_ms"] / kill["armed_floor_ms"], 2)
        kill["paired_ratio_to_floor"] = _paired(times["gameday"], times["armed_floor"])
    launch = {
        "gameday_ms": _ms(statistics.median(times["launch"])),
        "bare_ms": _ms(statistics.median(times["bare"])),
        "gameday_max_ms": _ms(max(times["launch"])),
        "bare_max_ms": _ms(max(times["bare"])),
    }
    launch["ratio_to_bare"] = round(launch["gameday_ms"] / launch["bare_ms"], 2)
    launch["paired_ratio_to_bare"] = _paired(times["launch"], times["bare"])
    kill["hosts"] = launch["hosts"] = float(len(names))
    kill["rounds"] = launch["rounds"] = float(ROUNDS)
    return kill, launch


def _paired(ours: Sequence[float], theirs: Sequence[float]) -> float:
    """The median of the rounds' own ratios: both were timed in the same round, seconds apart,
    so a machine that slows down for a while moves both sides of each ratio."""
    return round(statistics.median(a / b for a, b in zip(ours, theirs, strict=True)), 2)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _plans(names: Sequence[str], round_: int, method: str) -> dict[str, FaultPlan]:
    return {n: labkit.fault_plan(n, f"b{round_}-{method[:4]}-{n}") for n in names}


def _baseline(
    info: LabInfo,
    open_: Mapping[str, object],
    names: Sequence[str],
    round_: int,
    revert: Callable[[dict[str, str]], float],
    times: dict[str, list[float]],
    key: str,
) -> None:
    plans = _plans(names, round_, key)
    baselines.run_everywhere(
        open_,  # type: ignore[arg-type]
        {n: labkit.script((*p.inject, *p.verify_active)) for n, p in plans.items()},
    )
    labkit.require(info, names, faulted=True, what=f"{key}: inject")
    took = revert({n: labkit.script((*p.revert, *p.verify_reverted)) for n, p in plans.items()})
    labkit.require(info, names, faulted=False, what=f"{key}: revert")
    times[key].append(took)


def _bare_launch(
    info: LabInfo,
    open_: Mapping[str, object],
    names: Sequence[str],
    round_: int,
    times: dict[str, list[float]],
) -> None:
    plans = _plans(names, round_, "bare")
    took, opened = baselines.bare_launch(
        info, {n: labkit.script((*p.inject, *p.verify_active)) for n, p in plans.items()}
    )
    try:
        labkit.require(info, names, faulted=True, what="bare launch")
        baselines.run_everywhere(
            dict(zip(names, opened, strict=True)),
            {n: labkit.script((*p.revert, *p.verify_reverted)) for n, p in plans.items()},
        )
    finally:
        for transport in opened:
            transport.close()
    labkit.require(info, names, faulted=False, what="bare launch: revert")
    times["bare"].append(took)


def _gameday(
    info: LabInfo,
    names: Sequence[str],
    scenario: Path,
    folder: Path,
    round_: int,
    times: dict[str, list[float]],
) -> None:
    """One session through `gameday run`'s wiring: the launch timed until every fault is
    injected and verified, then the kill switch timed until every host's outcome is in."""
    plan = load_plan(str(scenario), str(info.inventory), seed=1)  # validating, not launching
    monitoring = threading.Event()
    done: list[ev.KillSwitchDone] = []

    def listen(event: ev.Event) -> None:
        if isinstance(event, ev.PhaseChanged) and event.phase in ("monitor", "done"):
            monitoring.set()
        if isinstance(event, ev.KillSwitchDone):
            done.append(event)

    options = LiveOptions(journal_dir=folder / "journals")
    started = time.perf_counter()
    with live_session(plan, options) as session:
        session.subscribe(listen)
        runner = threading.Thread(target=session.run, name="bench-session", daemon=True)
        runner.start()
        if not monitoring.wait(120) or session.state.phase != "monitor":
            raise AssertionError(f"the session did not reach monitor: {session.state.phase}")
        launched = time.perf_counter() - started
        labkit.require(info, names, faulted=True, what="gameday: inject")
        pulled = time.perf_counter()
        session.kill_switch("bench")
        took = time.perf_counter() - pulled
        runner.join(60)
    labkit.require(info, names, faulted=False, what="gameday: kill switch")
    outcomes = done[0].hosts if done else {}
    if len(outcomes) != len(names) or any(o != ev.RevertOutcome.CLEAN for o in outcomes.values()):
        raise AssertionError(f"the kill switch was not clean everywhere: {outcomes}")
    times["launch"].append(launched)
    times["gameday"].append(took)
    del round_
