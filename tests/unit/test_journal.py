"""The journal: durable lines, a torn tail tolerated, replay equal to the live state."""

from __future__ import annotations

import copy
import json
import os
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gameday.core.session import events as ev
from gameday.core.session.journal import JournalWriter, _masked, read_journal, redact
from gameday.core.session.state import SessionState, replay
from gameday.errors import InputError
from tests.factories import started


def _session_events() -> list[ev.Event]:
    return [
        started(
            session_id="s1",
            scenario_id="web-cpu",
            scenario_title="Web survives CPU pressure",
            scenario_sha256="ab" * 32,
            hypothesis="p99 stays under 300 ms",
            scenario={"faults": [{"kind": "cpu_stress", "load": 80}]},
        ),
        ev.PlanMade(
            targets=("web-1", "web-2"),
            spared={"db-1": "protected by the inventory"},
            waves=(("web-1",), ("web-2",)),
            seed=7,
            faults={"web-1": ("f1",), "web-2": ("f2",)},
        ),
        ev.PhaseChanged(phase="baseline"),
        ev.ProbeSampled(probe="p99", value=120.0, ok=True, phase="baseline"),
        ev.PhaseChanged(phase="inject"),
        ev.FaultArmed(
            host="web-1", fault_id="f1", kind="cpu_stress", deadline=1e9, revert=("kill -- -1",)
        ),
        ev.FaultInjected(host="web-1", fault_id="f1", kind="cpu_stress", summary="80% CPU"),
        ev.FaultArmed(host="web-2", fault_id="f2", kind="cpu_stress", deadline=1e9),
        ev.FaultInjected(host="web-2", fault_id="f2", kind="cpu_stress"),
        ev.ProbeSampled(probe="p99", value=None, ok=None, detail="empty result"),
        ev.ThresholdCrossed(probe="p99", value=400.0, bound=300.0, direction="above"),
        ev.NoteAdded(actor="alice", text="checkout | slow `now`", tag="impact"),
        ev.KillSwitchPulled(source="keypress"),
        ev.FaultReverted(host="web-1", fault_id="f1", verified=True, by="kill_switch"),
        ev.FaultReverted(host="web-2", fault_id="f2", verified=False, detail="host unreachable"),
        ev.KillSwitchDone(
            latency=0.034,
            hosts={"web-1": ev.RevertOutcome.CLEAN, "web-2": ev.RevertOutcome.UNCONFIRMED},
        ),
        ev.VerdictReached(verdict="revert_unconfirmed"),
        ev.SessionEnded(),
    ]


def _write(path: Path, events: list[ev.Event]) -> tuple[list[ev.Event], list[SessionState]]:
    writer = JournalWriter(path, clock=iter(range(1000, 2000)).__next__)
    live = SessionState()
    placed, states = [], []
    for event in events:
        stored = writer.append(event)
        live.apply(stored)
        placed.append(stored)
        states.append(copy.deepcopy(live))
    writer.close()
    return placed, states


def test_every_event_round_trips_through_json(tmp_path: Path) -> None:
    placed, _ = _write(tmp_path / "s1.jsonl", _session_events())
    read = read_journal(tmp_path / "s1.jsonl")
    assert list(read.events) == placed
    assert not read.torn
    assert [e.seq for e in read.events] == list(range(1, len(placed) + 1))


def test_replay_of_every_prefix_equals_the_live_state(tmp_path: Path) -> None:
    _, states = _write(tmp_path / "s1.jsonl", _session_events())
    events = read_journal(tmp_path / "s1.jsonl").events
    for n in range(1, len(events) + 1):
        assert replay(events[:n]) == states[n - 1]


def test_replayed_state_knows_which_faults_are_still_open(tmp_path: Path) -> None:
    _write(tmp_path / "s1.jsonl", _session_events())
    state = replay(read_journal(tmp_path / "s1.jsonl").events)
    assert [(f.host, f.status) for f in state.open_faults()] == [("web-2", "unconfirmed")]
    assert state.verdict == "revert_unconfirmed"
    assert state.kill_switch == "keypress"
    assert state.breaches == {"p99": 1}


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=0, max_value=10_000))
def test_a_crash_at_any_byte_leaves_a_readable_journal(
    tmp_path_factory: pytest.TempPathFactory, cut: int
) -> None:
    path = tmp_path_factory.mktemp("j") / "s.jsonl"
    placed, _ = _write(path, _session_events())
    data = path.read_bytes()
    cut = cut % (len(data) + 1)
    path.write_bytes(data[:cut])
    read = read_journal(path)
    kept = data[:cut]
    tail = kept[kept.rfind(b"\n") + 1 :]
    tail_whole = _parses(tail)  # cut just before a newline: the event itself was written whole
    complete = kept.count(b"\n") + (1 if tail_whole else 0)
    assert list(read.events) == placed[:complete]
    assert read.torn == (bool(tail) and not tail_whole)


def _parses(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def test_a_corrupt_line_in_the_middle_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    _write(path, _session_events()[:3])
    lines = path.read_text().splitlines()
    lines[1] = "{not json"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as caught:
        read_journal(path)
    assert caught.value.line == 2


def test_lines_from_a_newer_gameday_are_skipped_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    _write(path, _session_events()[:2])
    with path.open("a") as f:
        f.write(json.dumps({"type": "hologram_projected", "seq": 3}) + "\n")
    read = read_journal(path)
    assert len(read.events) == 2 and read.skipped == 1


def test_a_session_never_overwrites_an_existing_journal(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    _write(path, _session_events()[:1])
    with pytest.raises(FileExistsError):
        JournalWriter(path)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("curl -H 'Authorization: Bearer abc.def' http://x", "abc.def"),
        ("mysql --password=hunter2 -e 'select 1'", "hunter2"),
        ("PGPASSWORD=s3cr3t psql", "s3cr3t"),
        ("curl https://bob:pa55@example.test/", "pa55"),
        ("deploy --token tkn-123", "tkn-123"),
    ],
)
def test_credentials_are_redacted_from_commands(text: str, secret: str) -> None:
    assert secret not in redact(text)
    assert "********" in redact(text)


_PIECES = st.sampled_from(
    # whole secrets of each pattern, their words alone, the letters case-blind matching takes
    # for ASCII ones, and plain command text
    [
        "Authorization: Bearer abc",
        "x-API-key=k1",
        "--password hunter2",
        "PGPASSWD=pw",
        "Api_Key: k2",
        "deploy --TOKEN t1",
        "SECRET=s",
        "https://bob:pa55@",
        "ftp://a:b@",
        "Authorization",
        "token",
        "://",
        " ",
        "'",
        "=",
        "@",
        "bob",
        "\u017f",
        "\u0131",
        "\u212a",
        "tc qdisc add dev eth0",
        "x",
    ]
)


@settings(max_examples=400)
@given(st.one_of(st.lists(_PIECES, max_size=12).map("".join), st.text(max_size=60)))
def test_the_quick_look_for_secret_words_never_changes_what_is_masked(text: str) -> None:
    assert redact(text) == _masked(text)


def test_plain_commands_are_left_alone() -> None:
    command = "tc qdisc add dev eth0 root tbf rate 1mbit burst 32K latency 400ms"
    assert redact(command) == command


def test_recovery_appends_after_a_torn_tail_and_keeps_numbering(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    placed, _ = _write(path, _session_events()[:4])
    path.write_bytes(path.read_bytes() + b'{"type":"probe_sam')
    writer = JournalWriter.resume(path)
    writer.append(ev.FaultReverted(host="web-1", fault_id="f1", verified=True, by="recover"))
    writer.close()
    read = read_journal(path)
    assert not read.torn
    assert [e.seq for e in read.events] == [1, 2, 3, 4, 5]
    assert read.events[:4] == tuple(placed)


def test_redaction_keeps_the_quotes_around_a_masked_value() -> None:
    masked = redact("curl -H 'Authorization: Bearer abc' http://x")
    assert masked == "curl -H 'Authorization: Bearer ********' http://x"


def test_recovery_after_a_whole_last_line_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    _write(path, _session_events()[:3])
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    writer = JournalWriter.resume(path)
    writer.append(ev.SessionEnded())
    writer.close()
    assert [e.seq for e in read_journal(path).events] == [1, 2, 3, 4]


def test_appending_after_an_event_of_a_newer_gameday_keeps_numbering(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    _write(path, _session_events()[:3])
    path.write_bytes(path.read_bytes() + b'{"type":"from_the_future","seq":4,"ts":1.0}\n')
    writer = JournalWriter.resume(path)
    writer.append(ev.SessionEnded())
    writer.close()
    read = read_journal(path)
    assert [e.seq for e in read.events] == [1, 2, 3, 4] and read.skipped == 1


def test_events_written_while_an_fsync_runs_share_the_next_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight hosts answering at once: a slow disk (a real fsync made 50 ms slower, as under
    load) syncs them in two or three fsyncs, not eight queued one after another; and none
    returns before its own event is on disk."""
    path = tmp_path / "s.jsonl"
    writer = JournalWriter(path)
    real_fsync, started_at = os.fsync, list[int]()

    def slow_fsync(fd: int) -> None:
        started_at.append(writer.written)
        time.sleep(0.05)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    barrier, seen = threading.Barrier(8), list[tuple[int, int]]()

    def one(host: int) -> None:
        barrier.wait()
        (placed,) = writer.append_batch([ev.NoteAdded(actor="bob", text=f"host {host}")])
        seen.append((placed.seq, writer.synced))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(started_at) <= 3, started_at
    assert sorted(seq for seq, _ in seen) == list(range(1, 9))
    assert all(seq <= synced for seq, synced in seen), "told before it was on disk"
    assert [e.seq for e in read_journal(path).events] == list(range(1, 9))
