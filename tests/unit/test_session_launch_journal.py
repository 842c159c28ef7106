"""How a launch is journaled: the record's fact always before the inject is asked of the host;
one fsync for both when the host armed and injected in one round trip."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from gameday.core.faults import FaultPlan
from gameday.core.session import events as ev
from gameday.core.session.journal import JournalWriter
from gameday.engine.ports import Outcome
from tests.unit import test_session
from tests.unit.engine_fakes import FakeHost
from tests.unit.test_session import Rig


class LaunchingHost(FakeHost):
    """Arms, injects and verifies in one round trip, as the real driver's launch does."""

    def arm(self, plan: FaultPlan, deadline: float) -> Outcome:
        armed = super().arm(plan, deadline)
        if not armed.ok:
            return armed
        self.active.add(plan.fault_id)
        return dataclasses.replace(armed, injected=True)


class CountingJournal(JournalWriter):
    """Keeps the kinds of events of each batch (each batch is one write, on disk after at
    most one fsync, shared with the batches written while the one before ran)."""

    def __init__(self, path: Path, clock: Callable[[], float]) -> None:
        super().__init__(path, clock)
        self.batches: list[list[str]] = []

    def write_batch(self, events: Sequence[ev.Event]) -> list[ev.Event]:
        self.batches.append([type(e).__name__ for e in events])
        return super().write_batch(events)


def _rig(
    tmp_path: Path, host: type[FakeHost], monkeypatch: pytest.MonkeyPatch
) -> tuple[Rig, CountingJournal]:
    """The session tests' rig, with these hosts and a journal that counts its batches."""
    monkeypatch.setattr(test_session, "FakeHost", host)
    monkeypatch.setattr(test_session, "JournalWriter", CountingJournal)
    rig = Rig(tmp_path, [0.1])
    assert isinstance(rig.session._journal, CountingJournal)
    return rig, rig.session._journal


def test_a_fault_armed_and_injected_in_one_round_trip_is_journaled_with_one_fsync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig, journal = _rig(tmp_path, LaunchingHost, monkeypatch)
    assert rig.session.run().verdict == "held"
    injected = [b for b in journal.batches if "FaultInjected" in b]
    assert len(injected) == len(rig.hosts)
    assert all("FaultArmed" in batch for batch in injected), journal.batches
    assert not [b for b in journal.batches if "FaultArmed" in b and "FaultInjected" not in b]
    assert rig.nothing_left_behind()


def test_the_record_is_journaled_before_an_inject_still_to_be_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig, _ = _rig(tmp_path, FakeHost, monkeypatch)
    seen: list[bool] = []

    def at_inject(plan: FaultPlan) -> None:
        armed = [e for e in rig.events() if isinstance(e, ev.FaultArmed)]
        seen.append(any(e.fault_id == plan.fault_id for e in armed))

    for host in rig.hosts.values():
        host.on_inject = at_inject
    assert rig.session.run().verdict == "held"
    assert seen and all(seen), "an inject was asked before its record was journaled"
    assert rig.nothing_left_behind()
