"""The sessions list: every journal in a folder summarized from its events alone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gameday.app.headless import journal_is_running
from gameday.core.history import list_sessions
from gameday.core.session import events as ev
from gameday.core.session.control import ControlFile
from gameday.core.session.journal import JournalWriter


def _started(session_id: str, scenario_id: str = "web-cpu") -> ev.SessionStarted:
    return ev.SessionStarted(
        session_id=session_id,
        scenario_id=scenario_id,
        scenario_title="Web survives CPU pressure",
        scenario_file="/srv/web-cpu.yaml",
        scenario_sha256="ab" * 32,
        hypothesis="p99 stays under 300 ms",
        inventory_file="/srv/inventory.yaml",
    )


def _journal(directory: Path, session_id: str, events: list[ev.Event], start: int) -> Path:
    path = directory / f"{session_id}.jsonl"
    writer = JournalWriter(path, clock=iter(range(start, start + 1000)).__next__)
    for event in [_started(session_id), *events]:
        writer.append(event)
    writer.close()
    return path


def _finished(verdict: ev.Verdict) -> list[ev.Event]:
    return [
        ev.ParticipantJoined(name="alice", role="owner"),
        ev.PlanMade(targets=("web-1", "web-2"), spared={}),
        ev.VerdictReached(verdict=verdict),
        ev.SessionEnded(),
    ]


def test_finished_sessions_are_listed_newest_first_with_their_exit_status(
    tmp_path: Path,
) -> None:
    _journal(tmp_path, "s-old", _finished("held"), start=1000)
    _journal(tmp_path, "s-new", _finished("aborted"), start=5000)

    rows = list_sessions(tmp_path)

    assert [r.session_id for r in rows] == ["s-new", "s-old"]
    new, old = rows
    assert (new.verdict, new.exit_status, new.status) == ("aborted", 3, "finished")
    assert (old.verdict, old.exit_status) == ("held", 0)
    assert new.targets == ("web-1", "web-2")
    assert new.started == 5000 and new.duration == 4  # five lines, one second apart
    assert new.participants == (("alice", "owner"),)
    assert not new.running and new.findings_file == ""


def test_an_exported_findings_file_is_listed(tmp_path: Path) -> None:
    events = [*_finished("deviated"), ev.FindingsExported(path="/srv/out/s1.findings.md")]
    _journal(tmp_path, "s1", events, start=1000)

    (row,) = list_sessions(tmp_path)

    assert row.findings_file == "/srv/out/s1.findings.md"
    assert row.exit_status == 1


def test_a_session_stopped_in_preflight_exits_2_without_a_verdict(tmp_path: Path) -> None:
    _journal(tmp_path, "s1", [ev.SessionEnded()], start=1000)

    (row,) = list_sessions(tmp_path)

    assert (row.verdict, row.exit_status, row.status) == (None, 2, "stopped in preflight")


def test_a_journal_without_an_end_is_running_only_if_its_process_is(tmp_path: Path) -> None:
    path = _journal(tmp_path, "s1", [ev.PhaseChanged(phase="monitor")], start=1000)

    (crashed,) = list_sessions(tmp_path, is_running=lambda _p: False)
    (running,) = list_sessions(tmp_path, is_running=lambda p: p == path)

    assert (crashed.status, crashed.running, crashed.exit_status) == ("interrupted", False, None)
    assert (running.status, running.running, running.duration) == ("running", True, 1)


def test_an_ended_session_is_not_running_even_if_a_process_claims_it(tmp_path: Path) -> None:
    _journal(tmp_path, "s1", _finished("held"), start=1000)

    (row,) = list_sessions(tmp_path, is_running=lambda _p: True)

    assert not row.running and row.status == "finished"


def test_a_malformed_journal_is_listed_as_unreadable_not_raised(tmp_path: Path) -> None:
    _journal(tmp_path, "good", _finished("held"), start=1000)
    (tmp_path / "bad.jsonl").write_text('{"type": "session_started"\nnot json\n{}\n')

    rows = {r.session_id: r for r in list_sessions(tmp_path)}

    assert rows["bad"].status == "unreadable" and "line 1" in rows["bad"].problem
    assert rows["good"].status == "finished"


def test_a_missing_directory_lists_nothing(tmp_path: Path) -> None:
    assert list_sessions(tmp_path / "nowhere") == []


@pytest.fixture
def gameday_named_process() -> Iterator[int]:
    """A live process whose command line says gameday, as a session's would."""
    process = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)", "gameday"],
    )
    try:
        yield process.pid
    finally:
        process.kill()
        process.wait(5)


def test_the_control_file_tells_a_running_journal_from_a_dead_one(
    tmp_path: Path, gameday_named_process: int
) -> None:
    path = _journal(tmp_path, "s1", [], start=int(time.time()))
    control = ControlFile(ControlFile.for_journal(path), gameday_named_process, "s1", str(path))
    control.write()
    assert journal_is_running(path)

    ControlFile(control.path, os.getpid() + 10**7, "s1", str(path)).write()  # no such PID
    assert not journal_is_running(path)
    control.remove()
    assert not journal_is_running(path)
