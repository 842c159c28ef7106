"""The session engine, phase by phase, at full speed with in-memory hosts and a fake clock."""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

import pytest

from gameday.core.faults import FaultPlan
from gameday.core.formats.inventory import Host, Inventory
from gameday.core.formats.probes import Probe
from gameday.core.formats.scenario import (
    AbortRule,
    RollbackStep,
    Scenario,
    Schedule,
    SteadyState,
    TargetSpec,
)
from gameday.core.plan import build_plan
from gameday.core.session import events as ev
from gameday.core.session.journal import JournalWriter, read_journal
from gameday.core.session.state import replay
from gameday.engine.ports import Outcome
from gameday.engine.session import Session, SessionConfig
from gameday.exit_codes import ExitCode
from tests.unit.engine_fakes import FakeClock, FakeFault, FakeHost, FakeSource

E = TypeVar("E", bound=ev.Event)
"""An event type: `Rig.of` returns the events of that one type."""

HOSTS = ("web-1", "web-2", "web-3")


def _inventory() -> Inventory:
    hosts = {
        name: Host(name=name, address=f"127.0.0.{i + 10}", tags=MappingProxyType({"role": "web"}))
        for i, name in enumerate(HOSTS)
    }
    return Inventory(file="inventory.yaml", hosts=hosts, groups={})


def _scenario(
    *,
    max_concurrent: int | None = None,
    abort_when: tuple[AbortRule, ...] = (),
    faults: int = 1,
    rollback: tuple[RollbackStep, ...] = (),
    duration: float = 60.0,
) -> Scenario:
    return Scenario(
        file="scenarios/web.yaml",
        sha256="0" * 64,
        id="web-cpu",
        title="Web survives CPU pressure",
        description="",
        hypothesis="error rate stays under 1%",
        targets=TargetSpec(tags={"role": "web"}, max_concurrent=max_concurrent, seed=1),
        steady_state=SteadyState(
            interval=5.0, probes=(Probe(name="errors", kind="prometheus", query="x", max=1.0),)
        ),
        faults=tuple(FakeFault() for _ in range(faults)),
        schedule=Schedule(duration=duration, warmup=10.0, cooldown=10.0),
        abort_when=abort_when,
        rollback=rollback,
    )


class Rig:
    """One session with fake hosts, one probe fed from a list, and its journal on disk."""

    def __init__(
        self,
        tmp_path: Path,
        values: Sequence[float | None],
        scenario: Scenario | None = None,
        make_host: Callable[[str], FakeHost] | None = None,
    ) -> None:
        self.plan = build_plan(scenario or _scenario(), _inventory())
        make = make_host or FakeHost  # looked up now: other test modules swap FakeHost
        self.hosts = {name: make(name) for name in self.plan.selection.targets}
        self.source = FakeSource("errors", values)
        self.journal_path = tmp_path / "s1.jsonl"
        self.clock = FakeClock()
        self.session = Session(
            self.plan,
            self.hosts,
            {"errors": self.source},
            JournalWriter(self.journal_path, clock=self.clock.now),
            SessionConfig(session_id="s1", heartbeat_interval=3600),
            clock=self.clock,
        )

    def events(self) -> list[ev.Event]:
        return list(read_journal(self.journal_path).events)

    def phases(self) -> list[str]:
        return [e.phase for e in self.events() if isinstance(e, ev.PhaseChanged)]

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events() if isinstance(e, kind)]

    def nothing_left_behind(self) -> bool:
        return all(not h.active and not h.armed for h in self.hosts.values())


def test_a_calm_session_holds_and_walks_every_phase_in_order(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [0.1])
    result = rig.session.run()
    assert result.verdict == "held" and result.exit_code == ExitCode.OK
    assert rig.phases() == [
        "preflight",
        "baseline",
        "warmup",
        "inject",
        "monitor",
        "revert",
        "cooldown",
        "after",
        "done",
    ]
    assert rig.nothing_left_behind()
    assert len(rig.of(ev.FaultInjected)) == 3
    assert all(e.verified for e in rig.of(ev.FaultReverted))


def test_replaying_the_journal_rebuilds_the_live_state(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [0.1, 0.2, 3.0, 0.1])
    rig.session.run()
    assert replay(rig.events()) == rig.session.state


def test_on_a_slow_disk_the_live_state_still_takes_every_event_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hosts' answers written while another fsync runs share the next one; the live state
    must still be the journal's, event for event (a real fsync made 20 ms slower)."""
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        threading.Event().wait(0.02)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    rig = Rig(tmp_path, [0.1, 0.2, 3.0, 0.1], _scenario(faults=3))
    rig.session.run()
    assert replay(rig.events()) == rig.session.state
    assert [e.seq for e in rig.events()] == list(range(1, len(rig.events()) + 1))


def test_a_breach_without_abort_rule_gives_deviated(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [0.1, 0.1, 0.1, 5.0, 0.1])
    result = rig.session.run()
    assert result.verdict == "deviated" and result.exit_code == ExitCode.DEVIATED
    crossings = rig.of(ev.ThresholdCrossed)
    assert [c.recovered for c in crossings] == [False, True]
    assert rig.nothing_left_behind()


def test_abort_fires_after_exactly_n_consecutive_breaches(tmp_path: Path) -> None:
    rule = AbortRule(probe="errors", above=2.0, for_samples=2)
    # baseline, 2 warmup ticks, then monitor: breach, ok, breach, breach → abort on the 2nd in a row
    values: list[float | None] = [0.1, 0.1, 0.1, 3.0, 0.1, 3.0, 3.0, 0.1]
    rig = Rig(tmp_path, values, _scenario(abort_when=(rule,)))
    result = rig.session.run()
    assert result.verdict == "aborted" and result.exit_code == ExitCode.ABORTED
    samples = [e for e in rig.of(ev.ProbeSampled) if e.phase == "monitor"]
    assert [s.value for s in samples] == [3.0, 0.1, 3.0, 3.0]
    fired = rig.of(ev.AbortTriggered)[0]
    assert "2 samples in a row" in fired.rule
    assert fired.reason.startswith("seen 3")
    assert rig.nothing_left_behind()


def test_no_data_aborts_and_is_never_a_pass(tmp_path: Path) -> None:
    rule = AbortRule(no_data=3)
    rig = Rig(tmp_path, [0.1, 0.1, 0.1, None, None, None, 0.1], _scenario(abort_when=(rule,)))
    result = rig.session.run()
    assert result.verdict == "aborted"
    assert "no data from errors" in rig.of(ev.AbortTriggered)[0].reason
    assert rig.nothing_left_behind()


def test_steady_state_broken_before_the_experiment_injects_nothing(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [9.0] * 5 + [0.1])
    result = rig.session.run()
    assert result.verdict == "aborted"
    assert "does not hold before the experiment" in result.reason
    assert rig.source.count == 5
    assert not rig.of(ev.FaultArmed) and not rig.of(ev.FaultInjected)
    assert all(not any(s == "inject" for s, _ in h.calls) for h in rig.hosts.values())
    assert "cooldown" not in rig.phases()


def test_baseline_waits_a_few_polls_for_a_source_that_just_started(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [None, None, 0.1])
    assert rig.session.run().verdict == "held"
    assert len(rig.of(ev.FaultInjected)) == 3


def test_a_missing_capability_stops_before_anything_is_injected_anywhere(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [0.1])
    rig.hosts["web-2"].fail["check"] = "kernel has no netem"
    result = rig.session.run()
    assert result.verdict is None and result.exit_code == ExitCode.BAD_INPUT
    assert "web-2" in result.reason and "netem" in result.reason
    assert not rig.of(ev.FaultArmed)
    assert all(h.calls == [("check", h.calls[0][1])] for h in rig.hosts.values())


class BrokenCheck(FakeHost):
    """A driver with a bug: its capability check raises instead of answering."""

    def check(self, plan: FaultPlan) -> Outcome:
        raise RuntimeError("a bug in the driver")


def test_the_preflight_answers_of_every_other_host_are_journaled_before_a_drivers_bug(
    tmp_path: Path,
) -> None:
    rig = Rig(tmp_path, [0.1], make_host=lambda n: BrokenCheck(n) if n == "web-2" else FakeHost(n))
    with pytest.raises(RuntimeError, match="a bug in the driver"):
        rig.session.run()
    checked = {e.host for e in rig.of(ev.PreflightChecked)}
    assert checked == set(rig.hosts) - {"web-2"}
    assert not rig.of(ev.FaultArmed)


def test_max_concurrent_keeps_at_most_that_many_hosts_faulted_at_once(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [0.1], _scenario(max_concurrent=1))
    peak = 0

    def watch(_plan: object) -> None:
        nonlocal peak
        peak = max(peak, sum(len(h.active) for h in rig.hosts.values()) + 1)

    for host in rig.hosts.values():
        host.on_inject = watch
    assert rig.session.run().verdict == "held"
    assert peak == 1
    assert rig.phases().count("monitor") == 3


def test_an_inject_failure_aborts_and_reverts_what_was_injected(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [0.1], _scenario(faults=2))
    rig.hosts["web-3"].fail["inject"] = "stress-ng: not found"
    result = rig.session.run()
    assert result.verdict == "aborted"
    assert "stress-ng: not found" in result.reason
    assert rig.nothing_left_behind()


def test_kill_switch_during_inject_stops_new_injections_and_reverts_all(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [0.1], _scenario(max_concurrent=1, faults=2))
    first = rig.plan.selection.targets[0]
    injected_after: list[str] = []

    def pull(plan: object) -> None:
        if rig.session.killed:
            injected_after.append(rig.hosts[first].host)
        elif rig.hosts[first].active:
            rig.session.kill_switch("keypress")

    rig.hosts[first].on_inject = pull
    for name, host in rig.hosts.items():
        if name != first:
            host.on_inject = lambda plan, n=name: injected_after.append(n)
    result = rig.session.run()
    assert result.verdict == "aborted"
    assert injected_after == []
    assert rig.nothing_left_behind()
    assert len(rig.of(ev.KillSwitchPulled)) == 1
    assert rig.of(ev.KillSwitchDone)


def test_kill_switch_twice_is_harmless(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [0.1])
    first = rig.plan.selection.targets[0]

    def pull_twice(plan: object) -> None:
        rig.session.kill_switch("keypress")
        rig.session.kill_switch("keypress")

    rig.hosts[first].on_inject = pull_twice
    assert rig.session.run().verdict == "aborted"
    assert len(rig.of(ev.KillSwitchPulled)) == 1
    assert rig.nothing_left_behind()


def test_a_revert_that_cannot_be_verified_gives_revert_unconfirmed(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [0.1])
    rig.hosts["web-1"].fail["revert"] = "tc qdisc still present"
    result = rig.session.run()
    assert result.verdict == "revert_unconfirmed"
    assert result.exit_code == ExitCode.REVERT_UNCONFIRMED
    assert "web-1" in result.reason


def test_kill_switch_from_another_thread_while_monitoring(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [0.1], _scenario(duration=3600.0))

    def slow_wait(seconds: float, cancel: threading.Event) -> bool:
        rig.clock.advance(seconds)
        return cancel.wait(0.02)

    rig.clock.wait = slow_wait  # type: ignore[method-assign]
    runner = threading.Thread(target=rig.session.run)
    runner.start()
    _wait_until(lambda: rig.session.state.phase == "monitor")
    rig.session.kill_switch(f"signal:{signal.SIGTERM.name}")
    runner.join(10)
    assert not runner.is_alive()
    assert rig.session.state.verdict == "aborted"
    assert rig.nothing_left_behind()


def test_rollback_steps_run_after_the_revert(tmp_path: Path) -> None:
    step = RollbackStep(name="restart shop", run="systemctl restart shop", required=False)
    rig = Rig(tmp_path, [0.1], _scenario(rollback=(step,)))
    rig.session.run()
    assert all(h.ran == ["systemctl restart shop"] for h in rig.hosts.values())
    phases = rig.phases()
    assert phases.index("revert") < phases.index("rollback") < phases.index("cooldown")


def test_a_required_rollback_step_that_fails_leaves_the_revert_unconfirmed(
    tmp_path: Path,
) -> None:
    steps = (
        RollbackStep(name="warm cache", run="true", required=False),
        RollbackStep(name="restart shop", run="systemctl restart shop", host="web-1"),
    )
    rig = Rig(tmp_path, [0.1], _scenario(rollback=steps))
    rig.hosts["web-1"].fail["run"] = "exit status 1: unit shop not found"
    rig.hosts["web-2"].fail["run"] = "exit status 1"  # only an optional step runs here
    result = rig.session.run()
    assert result.verdict == "revert_unconfirmed" and result.exit_code == 4
    assert "'restart shop' on web-1" in result.reason and "unit shop not found" in result.reason
    assert "warm cache" not in result.reason, "an optional step that fails is only reported"


def test_notes_land_in_the_journal_with_their_author(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [0.1])
    rig.session.add_note("alice", "checkout looks slow", tag="impact")
    note = rig.of(ev.NoteAdded)[0]
    assert note.actor == "alice" and note.tag == "impact"


def _wait_until(condition: Callable[[], object], limit: float = 5.0) -> None:
    import time

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.01)
    pytest.fail("condition not reached in time")


def test_after_an_abort_rule_the_cooldown_still_watches_recovery(tmp_path: Path) -> None:
    rule = AbortRule(probe="errors", above=2.0, for_samples=1)
    rig = Rig(tmp_path, [0.1, 0.1, 0.1, 3.0, 0.1], _scenario(abort_when=(rule,)))
    assert rig.session.run().verdict == "aborted"
    cooldown = [e for e in rig.of(ev.ProbeSampled) if e.phase == "cooldown"]
    assert cooldown, "recovery after an abort is a finding: the cooldown must be sampled"


def test_after_the_kill_switch_the_session_ends_without_cooldown(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [0.1])
    first = rig.plan.selection.targets[0]
    rig.hosts[first].on_inject = lambda plan: rig.session.kill_switch("keypress")
    assert rig.session.run().verdict == "aborted"
    assert "cooldown" not in rig.phases()


def test_sigterm_takes_the_kill_switch_path(tmp_path: Path) -> None:
    import os

    from gameday.app.headless import run_in_thread, signals_pull_kill_switch

    rig = Rig(tmp_path, [0.1], _scenario(duration=3600.0))

    def slow_wait(seconds: float, cancel: threading.Event) -> bool:
        rig.clock.advance(seconds)
        return cancel.wait(0.02)

    rig.clock.wait = slow_wait  # type: ignore[method-assign]

    def send_when_monitoring() -> None:
        _wait_until(lambda: rig.session.state.phase == "monitor")
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=send_when_monitoring, daemon=True).start()
    with signals_pull_kill_switch(rig.session):
        result = run_in_thread(rig.session)
    assert result.verdict == "aborted"
    assert rig.of(ev.KillSwitchPulled)[0].source == "signal:SIGTERM"
    assert rig.nothing_left_behind()


def test_a_fault_without_checks_is_journaled_as_unverified(tmp_path: Path) -> None:
    scenario = dataclasses.replace(_scenario(), faults=(FakeFault(kind="custom", checks=False),))
    rig = Rig(tmp_path, [0.1], scenario)
    rig.session.run()
    assert all(not e.verified for e in rig.of(ev.FaultInjected))
    assert all("unverified" in e.detail for e in rig.of(ev.FaultReverted))


def test_every_lease_is_renewed_as_soon_as_the_wave_is_in(tmp_path: Path) -> None:
    """The watchers' first line (it starts each one's runner) comes when the wave is launched,
    not a heartbeat interval (here an hour) later."""
    rig = Rig(tmp_path, [0.1])
    beaten = threading.Event()

    def on_monitor(event: ev.Event) -> None:
        # the phase after it: the session's thread waits here, so it cannot end the beats
        if isinstance(event, ev.PhaseChanged) and event.phase == "revert":
            hosts = rig.hosts.values()
            waited = 0
            while waited < 200 and not all(h.heartbeats for h in hosts):
                threading.Event().wait(0.01)
                waited += 1
            if all(h.heartbeats for h in hosts):
                beaten.set()

    rig.session.subscribe(on_monitor)
    rig.session.run()
    assert beaten.is_set(), {name: h.heartbeats for name, h in rig.hosts.items()}


def test_a_host_that_reverted_by_itself_aborts_the_session(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [0.1], _scenario(duration=3600.0))
    rig.session.config = dataclasses.replace(rig.session.config, heartbeat_interval=0.01)

    def slow_wait(seconds: float, cancel: threading.Event) -> bool:
        rig.clock.advance(min(seconds, 1.0))
        return cancel.wait(0.01)

    rig.clock.wait = slow_wait  # type: ignore[method-assign]
    rig.hosts["web-2"].lease_lost = True
    result = rig.session.run()
    assert result.verdict == "aborted"
    assert "web-2" in rig.of(ev.AbortTriggered)[0].reason
    assert rig.nothing_left_behind()
    assert all(e.verified for e in rig.of(ev.FaultReverted))


def test_a_lost_host_is_journaled_with_its_lease_and_the_cooldown_is_skipped(
    tmp_path: Path,
) -> None:
    rig = Rig(tmp_path, [0.1], _scenario(duration=3600.0))
    rig.session.config = dataclasses.replace(rig.session.config, heartbeat_interval=0.01)

    def slow_wait(seconds: float, cancel: threading.Event) -> bool:
        rig.clock.advance(min(seconds, 1.0))
        return cancel.wait(0.01)

    rig.clock.wait = slow_wait  # type: ignore[method-assign]
    rig.hosts["web-2"].lease_lost = True
    rig.session.run()
    (lost,) = rig.of(ev.HostLost)
    assert lost.host == "web-2"
    abort = rig.of(ev.AbortTriggered)[0]
    assert abort.rule == "lease lost"
    assert "no answer for 4 s" in abort.reason and "not confirmed" in abort.reason
    phases = [e.phase for e in rig.of(ev.PhaseChanged)]
    assert "cooldown" not in phases


def test_the_kill_switch_after_the_end_touches_nothing(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [0.1])
    rig.session.run()
    rig.session._journal.close()  # the console closes it once the session is over
    lines = rig.journal_path.read_bytes()
    rig.session.kill_switch("keypress")  # a late ctrl+k: no error, nothing written
    assert rig.journal_path.read_bytes() == lines
    assert not rig.of(ev.KillSwitchPulled)
