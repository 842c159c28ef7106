"""Following a journal as it grows (what `gameday watch` reads), and what a view built from the
journal alone knows of the probes, hosts and phases."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from gameday.core.session import events as ev
from gameday.core.session.follow import (
    Grew,
    JournalFollower,
    SessionFollower,
    Switched,
    new_journals,
    pick_session,
)
from gameday.core.session.journal import JournalWriter, read_journal
from gameday.core.session.state import replay
from gameday.core.view import HostRow, facts_of_journal, host_rows, phase_length, probes_of

STARTED = ev.SessionStarted(
    session_id="s1",
    scenario_id="web-cpu",
    scenario_title="Web survives CPU pressure",
    scenario_file="scenarios/web-cpu.yaml",
    scenario_sha256="ab" * 32,
    hypothesis="p99 stays under 300 ms",
    inventory_file="inventory.yaml",
    scenario={
        "faults": [{"kind": "cpu_stress", "load": 80}, {"kind": "latency", "delay": 0.2}],
        "steady_state": {
            "interval": 2.0,
            "probes": [
                {"name": "p99", "kind": "prometheus", "query": "q", "max": 300.0, "unit": "ms"},
                {"name": "ok", "kind": "http", "url": "http://x", "min": 99.0, "unit": "%"},
            ],
        },
        "schedule": {"duration": 60.0, "warmup": 5.0, "cooldown": 10.0},
    },
)
PLAN = ev.PlanMade(
    targets=("web-2", "web-1"),
    spared={"db-1": "protected by the inventory"},
    waves=(("web-2",), ("web-1",)),
    faults={"web-1": ("f0-aaaa", "f1-bbbb"), "web-2": ("f0-cccc",)},
)
EVENTS: list[ev.Event] = [
    STARTED,
    PLAN,
    ev.PhaseChanged(phase="monitor"),
    ev.ProbeSampled(probe="p99", value=120.0, ok=True),
    ev.FaultArmed(host="web-2", fault_id="f0-cccc", kind="cpu_stress", deadline=1e9),
    ev.FaultInjected(host="web-2", fault_id="f0-cccc", kind="cpu_stress"),
    ev.NoteAdded(actor="alice", text="slow ✓", tag="impact"),
    ev.FaultReverted(host="web-2", fault_id="f0-cccc", verified=True),
    ev.VerdictReached(verdict="held"),
    ev.SessionEnded(),
]


def _lines(path: Path, events: list[ev.Event]) -> bytes:
    writer = JournalWriter(path, clock=iter(range(1000, 2000)).__next__)
    for event in events:
        writer.append(event)
    writer.close()
    return path.read_bytes()


def test_a_journal_read_in_any_slices_gives_the_events_of_the_whole_file(tmp_path: Path) -> None:
    data = _lines(tmp_path / "whole.jsonl", EVENTS)
    expected = read_journal(tmp_path / "whole.jsonl").events

    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.integers(min_value=0, max_value=len(data)), max_size=12))
    def check(cuts: list[int]) -> None:
        path = tmp_path / "growing.jsonl"
        path.write_bytes(b"")
        follower = JournalFollower(path)
        seen: list[ev.Event] = []
        for cut in [*sorted(cuts), len(data)]:
            with path.open("r+b") as f:  # grow the file in place, as the writer does
                f.seek(0, os.SEEK_END)
                f.write(data[f.tell() : max(cut, f.tell())])
            chunk = follower.poll()
            assert not chunk.problems and not chunk.restarted
            seen += chunk.events
        assert tuple(seen) == expected

    check()


def test_a_line_being_written_waits_for_its_end(tmp_path: Path) -> None:
    data = _lines(tmp_path / "whole.jsonl", EVENTS[:2])
    first_end = data.index(b"\n") + 1
    path = tmp_path / "s.jsonl"
    path.write_bytes(data[: first_end + 10])
    follower = JournalFollower(path)
    chunk = follower.poll()
    assert [type(e) for e in chunk.events] == [ev.SessionStarted]
    assert chunk.pending == 10
    with path.open("ab") as f:
        f.write(data[first_end + 10 :])
    assert [type(e) for e in follower.poll().events] == [ev.PlanMade]


def test_a_torn_tail_cut_by_recover_is_dropped_and_the_next_lines_are_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.jsonl"
    data = _lines(path, EVENTS[:3])
    path.write_bytes(data + b'{"type":"probe_sam')  # the console died mid-write
    follower = JournalFollower(path)
    assert len(follower.poll().events) == 3
    writer = JournalWriter.resume(path, clock=lambda: 2000.0)  # recover cuts the tail
    writer.append(ev.FaultReverted(host="web-2", fault_id="f0-cccc", verified=True, by="recover"))
    writer.close()
    chunk = follower.poll()
    assert not chunk.restarted and not chunk.problems
    assert [type(e) for e in chunk.events] == [ev.FaultReverted]
    assert chunk.events[0].seq == 4


def test_a_complete_line_that_is_not_an_event_is_reported_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    data = _lines(path, EVENTS[:2])
    unknown = json.dumps({"type": "from_the_future", "seq": 3}).encode()
    path.write_bytes(data + b"not json\n" + unknown + b"\n")
    with path.open("ab") as f:
        f.write(data.splitlines(keepends=True)[1])
    chunk = JournalFollower(path).poll()
    assert [type(e) for e in chunk.events] == [ev.SessionStarted, ev.PlanMade, ev.PlanMade]
    assert len(chunk.problems) == 1 and chunk.problems[0].startswith("line 3: not an event")


def test_a_replaced_file_is_read_again_from_the_top(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    _lines(path, EVENTS[:4])
    follower = JournalFollower(path)
    assert len(follower.poll().events) == 4
    path.unlink()
    _lines(path, EVENTS[:2])
    chunk = follower.poll()
    assert chunk.restarted and len(chunk.events) == 2


def test_a_missing_file_is_said_and_read_once_it_appears(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    follower = JournalFollower(path)
    assert follower.poll().missing
    _lines(path, EVENTS[:1])
    assert len(follower.poll().events) == 1


def test_the_newest_session_not_ended_is_picked_and_new_ones_are_seen(tmp_path: Path) -> None:
    old = tmp_path / "a-running.jsonl"
    _lines(old, EVENTS[:4])
    ended = tmp_path / "b-ended.jsonl"
    _lines(ended, EVENTS)
    now = time.time()
    os.utime(old, (now - 60, now - 60))
    assert pick_session(tmp_path) == old
    assert pick_session(tmp_path / "nowhere") is None
    known = frozenset(p.name for p in tmp_path.glob("*.jsonl"))
    assert new_journals(tmp_path, known) == []
    fresh = tmp_path / "c-new.jsonl"
    _lines(fresh, EVENTS[:1])
    assert new_journals(tmp_path, known) == [fresh]
    assert pick_session(tmp_path) == fresh


def test_the_view_reads_probes_hosts_and_phase_lengths_from_the_first_lines() -> None:
    probes = probes_of(STARTED)
    assert [(p.name, p.kind, p.min, p.max, p.unit) for p in probes] == [
        ("p99", "prometheus", None, 300.0, "ms"),
        ("ok", "http", 99.0, None, "%"),
    ]
    assert host_rows(STARTED, PLAN) == (
        HostRow("web-2", 1, "cpu_stress", "f0-cccc"),
        HostRow("web-1", 2, "cpu_stress", "f0-aaaa"),
        HostRow("web-1", 2, "latency", "f1-bbbb"),
    )
    assert phase_length(STARTED, "monitor") == 60.0
    assert phase_length(STARTED, "warmup") == 5.0
    assert phase_length(STARTED, "inject") is None
    facts = facts_of_journal(STARTED, PLAN)
    assert (facts.title, facts.waves, facts.phase_length("cooldown")) == (
        "Web survives CPU pressure",
        2,
        10.0,
    )


def test_a_snapshot_without_details_gives_fewer_details_not_an_error() -> None:
    bare = ev.SessionStarted(
        session_id="s",
        scenario_id="x",
        scenario_title="x",
        scenario_file="",
        scenario_sha256="",
        hypothesis="",
        inventory_file="",
        scenario={"faults": "?", "schedule": {"duration": "1m"}},
    )
    assert probes_of(bare) == ()
    assert host_rows(bare, PLAN)[0].kind == ""
    assert phase_length(bare, "monitor") is None
    assert replay([bare, PLAN]).targets == ("web-2", "web-1")


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_directory_is_followed_session_after_session(tmp_path: Path) -> None:
    _lines(tmp_path / "a-ended.jsonl", EVENTS)
    clock = Ticks()
    source = SessionFollower(directory=tmp_path, now=clock, scan=1.0)
    assert source.start() == Switched(None)  # nothing running: wait
    assert source.poll() == ([], False)
    _lines(tmp_path / "b.jsonl", EVENTS[:2])
    assert source.poll() == ([], False)  # not looked at before the next scan
    clock.now = 1.0
    updates, more = source.poll()
    assert updates == [Switched(tmp_path / "b.jsonl")] and more
    updates, _ = source.poll()
    assert [type(u) for u in updates] == [Grew]
    assert isinstance(updates[0], Grew) and len(updates[0].chunk.events) == 2
    assert source.poll() == ([], False)


def test_a_journal_that_disappears_is_said_once(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    _lines(path, EVENTS[:1])
    source = SessionFollower(journal=path, now=Ticks())
    assert source.start() == Switched(path)
    assert len(source.poll()[0]) == 1
    path.unlink()
    updates, _ = source.poll()
    assert len(updates) == 1 and isinstance(updates[0], Grew) and updates[0].chunk.missing
    assert source.poll() == ([], False)


def test_a_ladder_says_at_which_stage_each_host_joins() -> None:
    ladder = ev.LadderPlanned(stages=(("web-2",), ("web-2", "web-1")), sizes=("1", "2"))
    flat = ev.PlanMade(targets=PLAN.targets, spared={}, faults=PLAN.faults)  # no waves
    assert [(r.host, r.stage) for r in host_rows(STARTED, flat, ladder)] == [
        ("web-2", 1),
        ("web-1", 2),
        ("web-1", 2),
    ]
    assert {r.stage for r in host_rows(STARTED, PLAN)} == {0}
