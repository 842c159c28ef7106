"""The engine's one revert path: every host asked before any answer is awaited, one deadline,
a silent host reported unconfirmed with when its lease reverts it, batches journaled at once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from gameday.core.faults import FaultPlan
from gameday.core.session import events as ev
from gameday.core.session.events import RevertBy, RevertOutcome
from gameday.core.session.journal import JournalWriter, read_journal
from gameday.engine.ports import HostDriver, Outcome, PendingRevert, RevertLater
from gameday.engine.revert import HostReverted, Reverter


def _plan(host: str, fault_id: str = "f1") -> FaultPlan:
    return FaultPlan(
        kind="bandwidth",
        fault_id=fault_id,
        host=host,
        capability=(),
        inject=("tc qdisc add",),
        verify_active=(),
        revert=("tc qdisc del",),
        verify_reverted=("true",),
        summary="",
        verified=True,
        revert_verified=True,
        cleanup=(),
    )


class Host:
    """A host driver that records when it was asked and answers after `delay` (or never)."""

    def __init__(
        self, host: str, log: list[str], *, delay: float = 0.0, answer: Outcome | None = None
    ) -> None:
        self.host = host
        self.log = log
        self.delay = delay
        self.answer = answer or Outcome(True)
        self.release = threading.Event()

    def send_revert(self, plans: Sequence[FaultPlan], by: RevertBy) -> PendingRevert:
        self.log.append(f"ask {self.host} {by}")

        def gather(deadline: float) -> dict[str, Outcome]:
            self.log.append(f"gather {self.host}")
            self.release.wait(min(self.delay, max(0.0, deadline - time.monotonic())))
            if self.delay and not self.release.is_set() and time.monotonic() >= deadline:
                return {}
            return {p.fault_id: self.answer for p in plans}

        return RevertLater(gather)


def _reverter(
    hosts: Sequence[Host], batches: list[list[HostReverted]], *, lease: float = 0.3
) -> Reverter:
    drivers: dict[str, HostDriver] = {h.host: h for h in hosts}  # type: ignore[misc]
    return Reverter(
        drivers, lease=lease, bound=lease + 0.2, on_batch=lambda b, _by: batches.append(list(b))
    )


def test_every_host_is_asked_before_any_answer_is_awaited() -> None:
    log: list[str] = []
    hosts = [Host(f"h{i}", log) for i in range(6)]
    batches: list[list[HostReverted]] = []
    outcomes = _reverter(hosts, batches).revert([_plan(h.host) for h in hosts], "kill_switch")
    asks = [i for i, line in enumerate(log) if line.startswith("ask")]
    gathers = [i for i, line in enumerate(log) if line.startswith("gather")]
    assert len(asks) == 6 and max(asks) < min(gathers)
    assert outcomes == {h.host: RevertOutcome.CLEAN for h in hosts}


def test_a_silent_host_is_unconfirmed_at_the_one_deadline_and_never_delays_the_others() -> None:
    log: list[str] = []
    silent = Host("silent", log, delay=60.0)
    quick = [Host(f"q{i}", log) for i in range(3)]
    batches: list[list[HostReverted]] = []
    reverter = _reverter([silent, *quick], batches, lease=0.3)
    started = time.monotonic()
    outcomes = reverter.revert([_plan(h.host) for h in (silent, *quick)], "kill_switch")
    took = time.monotonic() - started
    assert took < 0.3 + 0.2 + 0.5  # the bound, not the silent host's minute
    assert outcomes["silent"] is RevertOutcome.UNCONFIRMED
    assert all(outcomes[h.host] is RevertOutcome.CLEAN for h in quick)
    # the quick hosts were journaled before the silent one was given up on
    first_hosts = {r.host for batch in batches[:-1] for r in batch}
    assert first_hosts == {"q0", "q1", "q2"} and [r.host for r in batches[-1]] == ["silent"]
    ((_, outcome),) = batches[-1][0].faults
    assert outcome.detail.startswith("unconfirmed: host unreachable, its lease reverts it by ")
    silent.release.set()


def test_a_host_that_answers_not_confirmed_has_failed_not_unconfirmed() -> None:
    log: list[str] = []
    bad = Host("bad", log, answer=Outcome(False, "qdisc still there"))
    batches: list[list[HostReverted]] = []
    outcomes = _reverter([bad], batches).revert([_plan("bad")], "console")
    assert outcomes == {"bad": RevertOutcome.FAILED}


def test_a_host_without_a_connection_is_unconfirmed_and_the_rest_still_reverted() -> None:
    log: list[str] = []
    batches: list[list[HostReverted]] = []
    reverter = _reverter([Host("up", log)], batches)
    outcomes = reverter.revert([_plan("up"), _plan("gone")], "kill_switch")
    assert outcomes == {"up": RevertOutcome.CLEAN, "gone": RevertOutcome.UNCONFIRMED}


def test_a_second_revert_of_faults_in_flight_waits_and_reverts_only_what_is_still_open() -> None:
    log: list[str] = []
    slow = Host("slow", log, delay=0.2)
    batches: list[list[HostReverted]] = []
    reverter = _reverter([slow], batches, lease=1.0)
    plans = [_plan("slow")]
    first = threading.Thread(target=reverter.revert, args=(plans, "console"))
    first.start()
    time.sleep(0.05)
    second = reverter.revert(plans, "kill_switch", still_open=lambda _key: False)
    first.join(5)
    assert second == {}
    assert [line for line in log if line.startswith("ask")] == ["ask slow console"]
    assert reverter.wait_idle(1.0)


def test_a_batch_of_events_is_one_write_with_consecutive_positions(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path / "s.jsonl")
    writer.append(ev.PhaseChanged(phase="revert"))
    stored = writer.append_batch(
        [
            ev.FaultReverted(host=f"h{i}", fault_id="f1", verified=True, by="kill_switch")
            for i in range(3)
        ]
    )
    writer.close()
    assert [e.seq for e in stored] == [2, 3, 4]
    lines = (tmp_path / "s.jsonl").read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1, 2, 3, 4]
    assert len(read_journal(tmp_path / "s.jsonl").events) == 4


def test_an_older_journal_saying_unreachable_reads_as_unconfirmed() -> None:
    body = {"type": "kill_switch_done", "latency": 0.1, "hosts": {"a": "unreachable", "b": "clean"}}
    done = ev.from_json(body)
    assert isinstance(done, ev.KillSwitchDone)
    assert done.hosts == {"a": RevertOutcome.UNCONFIRMED, "b": RevertOutcome.CLEAN}


def test_the_kill_switch_starts_no_thread_once_the_reverter_is_warm() -> None:
    hosts = [Host(f"h{i}", []) for i in range(6)]
    reverter = _reverter(hosts, [])

    def gathering() -> set[int | None]:
        return {t.ident for t in threading.enumerate() if t.name.startswith("revert_")}

    reverter.warm(len(hosts))
    limit = time.monotonic() + 5
    while len(gathering()) < len(hosts) and time.monotonic() < limit:
        time.sleep(0.01)
    warm = gathering()
    assert len(warm) == len(hosts)
    outcomes = reverter.revert([_plan(h.host) for h in hosts], "kill_switch")
    assert set(outcomes.values()) == {RevertOutcome.CLEAN}
    assert gathering() == warm, "every answer was gathered by a thread started beforehand"
    reverter.close()
