"""The ladder run by the engine, at full speed with in-memory hosts and a fake clock: stage
after stage only while the steady state holds, and hosts of stages never reached are never
sent a fault."""

from __future__ import annotations

import threading
from pathlib import Path
from types import MappingProxyType

import pytest

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
from gameday.core.formats.stages import StageSize
from gameday.core.plan import build_plan
from gameday.core.session import events as ev
from gameday.core.session.journal import JournalWriter, read_journal
from gameday.core.session.state import replay
from gameday.engine.ladder import PolicyGate, owner_of
from gameday.engine.ports import Decision, LadderGate, Reading, StageReport
from gameday.engine.session import Session, SessionConfig
from gameday.exit_codes import ExitCode
from tests.unit.engine_fakes import FakeClock, FakeFault, FakeHost

HOSTS = ("web-1", "web-2", "web-3", "web-4")


class CutHosts:
    """A probe that counts the hosts carrying a fault right now (None while `blind`)."""

    name = "cut_hosts"

    def __init__(self, hosts: dict[str, FakeHost]) -> None:
        self.hosts = hosts
        self.blind_from: int | None = None
        """Return no data once this many hosts are cut."""

    def sample(self) -> Reading:
        cut = sum(1 for h in self.hosts.values() if h.active)
        if self.blind_from is not None and cut >= self.blind_from:
            return Reading(None, "scrape timed out")
        return Reading(float(cut))

    def close(self) -> None:
        pass


def scenario(
    *,
    stages: tuple[StageSize, ...] = (StageSize(count=1), StageSize(count=2), StageSize(count=4)),
    most: float = 1.0,
    max_concurrent: int | None = None,
    abort_when: tuple[AbortRule, ...] = (),
    rollback: tuple[RollbackStep, ...] = (),
) -> Scenario:
    return Scenario(
        file="scenarios/web.yaml",
        sha256="0" * 64,
        id="web-ladder",
        title="Web survives losing nodes, stage by stage",
        description="",
        hypothesis="at most one node cut is fine",
        targets=TargetSpec(
            tags={"role": "web"}, stages=stages, max_concurrent=max_concurrent, seed=5
        ),
        steady_state=SteadyState(
            interval=5.0,
            probes=(Probe(name="cut_hosts", kind="prometheus", query="x", max=most),),
        ),
        faults=(FakeFault(),),
        schedule=Schedule(duration=20.0, warmup=5.0, cooldown=5.0),
        abort_when=abort_when,
        rollback=rollback,
    )


def inventory() -> Inventory:
    hosts = {
        name: Host(name=name, address=f"127.0.0.{i + 10}", tags=MappingProxyType({"role": "web"}))
        for i, name in enumerate(HOSTS)
    }
    return Inventory(file="inventory.yaml", hosts=hosts, groups={})


class Rig:
    def __init__(
        self,
        tmp_path: Path,
        scenario: Scenario,
        gate: LadderGate | None = None,
        participants: tuple[tuple[str, str], ...] = (),
        probe: type[CutHosts] | None = None,
    ) -> None:
        self.plan = build_plan(scenario, inventory())
        self.hosts = {name: FakeHost(name) for name in self.plan.selection.targets}
        self.probe = (probe or CutHosts)(self.hosts)
        self.journal_path = tmp_path / "s1.jsonl"
        self.clock = FakeClock()
        self.session = Session(
            self.plan,
            self.hosts,
            {"cut_hosts": self.probe},
            JournalWriter(self.journal_path, clock=self.clock.now),
            SessionConfig(session_id="s1", heartbeat_interval=3600, participants=participants),
            clock=self.clock,
            ladder_gate=gate,
        )
        self.stages = self.plan.selection.stages

    def events(self) -> list[ev.Event]:
        return list(read_journal(self.journal_path).events)

    def stage_ends(self) -> list[tuple[int, str]]:
        return [(e.stage, e.outcome) for e in self.events() if isinstance(e, ev.StageEnded)]

    def injected_on(self) -> set[str]:
        return {e.host for e in self.events() if isinstance(e, ev.FaultInjected)}

    def only_checked(self, host: str) -> bool:
        """The host saw the preflight's capability check and nothing else."""
        fake = self.hosts[host]
        return {step for step, _ in fake.calls} == {"check"} and not fake.ran

    def nothing_left_behind(self) -> bool:
        return all(not h.active and not h.armed for h in self.hosts.values())


def test_a_ladder_that_holds_climbs_to_the_top_and_says_so(tmp_path: Path) -> None:
    rig = Rig(tmp_path, scenario(most=10))
    result = rig.session.run()
    assert result.verdict == "held" and result.exit_code == ExitCode.OK
    assert result.reason == "held up to stage 3 of 3: steady state held at every stage"
    assert rig.stage_ends() == [(1, "held"), (2, "held"), (3, "held")]
    decisions = [e for e in rig.events() if isinstance(e, ev.LadderDecided)]
    assert [(d.stage, d.go, d.how, d.actor) for d in decisions] == [
        (1, True, "--ladder auto", "system"),
        (2, True, "--ladder auto", "system"),
    ]
    injected = [e.host for e in rig.events() if isinstance(e, ev.FaultInjected)]
    assert sorted(injected) == sorted([*rig.stages[0], *rig.stages[1], *rig.stages[2]])
    assert rig.nothing_left_behind()
    assert replay(rig.events()) == rig.session.state


def test_each_stage_is_reverted_and_verified_before_the_next_starts(tmp_path: Path) -> None:
    rig = Rig(tmp_path, scenario(most=10))
    rig.session.run()
    events = rig.events()
    for stage in (1, 2):
        end = next(e for e in events if isinstance(e, ev.StageEnded) and e.stage == stage)
        nxt = next(e for e in events if isinstance(e, ev.StageStarted) and e.stage == stage + 1)
        injected = [e for e in events if isinstance(e, ev.FaultInjected) and e.seq < end.seq]
        reverted = [
            e for e in events if isinstance(e, ev.FaultReverted) and e.seq < end.seq and e.verified
        ]
        assert len(reverted) == len(injected)
        assert end.seq < nxt.seq


def test_a_ladder_that_breaks_at_stage_2_never_touches_stage_3s_hosts(tmp_path: Path) -> None:
    rollback = (RollbackStep(name="restart", run="systemctl restart web"),)
    rig = Rig(tmp_path, scenario(most=1, rollback=rollback))
    result = rig.session.run()
    assert result.verdict == "deviated" and result.exit_code == ExitCode.DEVIATED
    assert result.reason.startswith("held up to stage 1 of 3; broke at stage 2: cut_hosts out of")
    assert rig.stage_ends() == [(1, "held"), (2, "broke")]
    assert not any(isinstance(e, ev.StageStarted) and e.stage == 3 for e in rig.events())
    assert rig.injected_on() == set(rig.stages[1])
    for host in set(rig.stages[2]) - set(rig.stages[1]):
        assert rig.only_checked(host), rig.hosts[host].calls
    assert {h for h, fake in rig.hosts.items() if fake.ran} == set(rig.stages[1])
    assert rig.nothing_left_behind()


def test_no_data_during_a_stage_breaks_it(tmp_path: Path) -> None:
    rig = Rig(tmp_path, scenario(most=10))
    rig.probe.blind_from = 2
    result = rig.session.run()
    assert result.verdict == "deviated"
    assert rig.stage_ends() == [(1, "held"), (2, "broke")]
    assert "cut_hosts had no data on" in result.reason


def test_an_abort_rule_mid_stage_aborts_the_ladder(tmp_path: Path) -> None:
    rule = AbortRule(probe="cut_hosts", above=1.5, for_samples=1)
    rig = Rig(tmp_path, scenario(most=10, abort_when=(rule,)))
    result = rig.session.run()
    assert result.verdict == "aborted" and result.exit_code == ExitCode.ABORTED
    assert rig.stage_ends() == [(1, "held"), (2, "aborted")]
    ended = [e for e in rig.events() if isinstance(e, ev.StageEnded)][-1]
    assert "cut_hosts above 1.5" in ended.reason
    for host in set(rig.stages[2]) - set(rig.stages[1]):
        assert rig.only_checked(host)
    assert rig.nothing_left_behind()


class KillWhenAsked:
    """The facilitator pulls the kill switch while the go/no-go prompt is open."""

    def __init__(self) -> None:
        self.session: Session | None = None
        self.asked: list[StageReport] = []

    def decide(self, report: StageReport, cancel: threading.Event) -> Decision | None:
        self.asked.append(report)
        assert self.session is not None
        self.session.kill_switch("keypress")
        return None if cancel.is_set() else Decision(True, "alice")


def test_the_kill_switch_between_stages_stops_the_ladder_before_the_next(tmp_path: Path) -> None:
    gate = KillWhenAsked()
    rig = Rig(tmp_path, scenario(most=10), gate=gate)
    gate.session = rig.session
    result = rig.session.run()
    assert result.verdict == "aborted" and result.exit_code == ExitCode.ABORTED
    assert rig.stage_ends() == [(1, "held")]
    assert not any(isinstance(e, ev.LadderDecided) for e in rig.events())
    assert rig.injected_on() == set(rig.stages[0])
    assert [r.stage for r in gate.asked] == [1]
    assert gate.asked[0].next_hosts == rig.stages[1]
    for host in set(rig.stages[2]) - set(rig.stages[0]):
        assert rig.only_checked(host)


class Owner:
    def __init__(self, answers: list[bool]) -> None:
        self.answers = answers
        self.asked: list[StageReport] = []

    def decide(self, report: StageReport, cancel: threading.Event) -> Decision | None:
        self.asked.append(report)
        return Decision(self.answers.pop(0), report.owner, report.owner_role, "console")


def test_a_no_go_stops_the_ladder_and_journals_who_decided(tmp_path: Path) -> None:
    owner = Owner([True, False])
    rig = Rig(
        tmp_path,
        scenario(most=10),
        gate=owner,
        participants=(("bob", "facilitator"), ("alice", "owner")),
    )
    result = rig.session.run()
    assert result.verdict == "held" and result.exit_code == ExitCode.OK
    assert result.reason == "held up to stage 2 of 3; the ladder was stopped there (no-go by alice)"
    decisions = [e for e in rig.events() if isinstance(e, ev.LadderDecided)]
    assert [(d.stage, d.go, d.actor, d.role) for d in decisions] == [
        (1, True, "alice", "owner"),
        (2, False, "alice", "owner"),
    ]
    assert [r.owner for r in owner.asked] == ["alice", "alice"]
    assert "cut_hosts: worst 1" in owner.asked[0].summary
    assert rig.injected_on() == set(rig.stages[1])
    for host in set(rig.stages[2]) - set(rig.stages[1]):
        assert rig.only_checked(host)


def test_ladder_stop_ends_after_the_first_stage_that_held(tmp_path: Path) -> None:
    rig = Rig(tmp_path, scenario(most=10), gate=PolicyGate("stop"))
    result = rig.session.run()
    assert result.verdict == "held"
    assert "held up to stage 1 of 3; the ladder was stopped there (no-go by --ladder stop)" in (
        result.reason
    )
    assert rig.injected_on() == set(rig.stages[0])


def test_max_concurrent_splits_each_stage_into_waves(tmp_path: Path) -> None:
    rig = Rig(tmp_path, scenario(most=10, max_concurrent=1))
    peak = 0

    def watch(_plan: object) -> None:
        nonlocal peak
        peak = max(peak, sum(len(h.active) for h in rig.hosts.values()) + 1)

    for host in rig.hosts.values():
        host.on_inject = watch
    assert rig.session.run().verdict == "held"
    assert peak == 1
    monitors = [e for e in rig.events() if isinstance(e, ev.PhaseChanged) and e.phase == "monitor"]
    assert len(monitors) == 1 + 2 + 4


def test_preflight_checks_every_host_of_the_last_stage_before_any_inject(tmp_path: Path) -> None:
    rig = Rig(tmp_path, scenario(most=1))
    rig.hosts[rig.stages[2][-1]].fail["check"] = "stress-ng: not found"
    result = rig.session.run()
    assert result.verdict is None and result.exit_code == ExitCode.BAD_INPUT
    assert not rig.injected_on()
    assert not any(isinstance(e, ev.StageStarted) for e in rig.events())


@pytest.mark.parametrize("most", [0.5])
def test_a_ladder_broken_at_stage_1_says_no_stage_held(tmp_path: Path, most: float) -> None:
    rig = Rig(tmp_path, scenario(most=most))
    result = rig.session.run()
    assert result.verdict == "deviated"
    assert result.reason.startswith("held up to stage 0 of 3; broke at stage 1")
    assert rig.injected_on() == set(rig.stages[0])


@pytest.mark.parametrize(
    ("participants", "owner"),
    [
        ((("bob", "facilitator"), ("alice", "owner")), ("alice", "owner")),
        ((("carol", "observer"), ("bob", "facilitator")), ("bob", "facilitator")),
        ((("carol", "observer"),), ("", "")),
        ((), ("", "")),
    ],
)
def test_the_owner_decides_else_the_facilitator_never_an_observer(
    participants: tuple[tuple[str, str], ...], owner: tuple[str, str]
) -> None:
    assert owner_of(participants) == owner


class EarlySpike(CutHosts):
    """Reads 9 on the first poll that finds two hosts cut, then the true count."""

    def __init__(self, hosts: dict[str, FakeHost]) -> None:
        super().__init__(hosts)
        self.spiked = False

    def sample(self) -> Reading:
        reading = super().sample()
        if reading.value == 2.0 and not self.spiked:
            self.spiked = True
            return Reading(9.0)
        return reading


def test_a_breach_early_in_a_long_stage_still_breaks_it_though_memory_keeps_only_recent_samples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gameday.core.session.state.SAMPLES_KEPT", 2)
    rig = Rig(tmp_path, scenario(most=5), probe=EarlySpike)
    result = rig.session.run()
    assert isinstance(rig.probe, EarlySpike) and rig.probe.spiked
    assert rig.stage_ends() == [(1, "held"), (2, "broke")]
    assert "cut_hosts out of bounds (9" in result.reason
    kept = rig.session.state.samples["cut_hosts"]
    assert len(kept) <= 2 + 2 and 9.0 not in [s.value for s in kept]
    assert replay(rig.events()) == rig.session.state
