"""`gameday abort` and `gameday recover` when no console runs: they say so and what they will
do, and never connect anywhere for a demo journal."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest

from gameday.adapters.logfile import quiet_libraries, session_log
from gameday.cli import main
from gameday.core.session import events as ev
from gameday.core.session.journal import JournalWriter
from tests.factories import started


def _journal(folder: Path, mode: str) -> Path:
    path = folder / "s.jsonl"
    writer = JournalWriter(path)
    writer.append(started(mode=mode))
    writer.append(
        ev.FaultArmed(
            host="web-2", fault_id="f1", kind="custom", deadline=0.0, revert=("true",),
            verify_reverted=("true",), timer="setsid",
        )
    )  # fmt: skip
    writer.close()
    return path


def test_abort_on_a_demo_journal_connects_to_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import gameday.commands.recover as recover

    def no_ssh(*_args: object) -> int:
        raise AssertionError("a demo journal must never be recovered over SSH")

    monkeypatch.setattr(recover, "recover_and_report", no_ssh)
    journal = _journal(tmp_path, "demo")
    assert main(["abort", str(journal)]) == 0
    out = capsys.readouterr().out
    assert "no running demo console" in out and "nothing to revert" in out


def test_abort_without_a_console_says_what_it_will_do_before_doing_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import gameday.commands.recover as recover

    said_first: list[str] = []

    def fake_recover(journal: Path, _inventory: object, _trust: object) -> int:
        said_first.append(capsys.readouterr().out)
        return 0

    monkeypatch.setattr(recover, "recover_and_report", fake_recover)
    journal = _journal(tmp_path, "headless")
    assert main(["abort", str(journal)]) == 0
    (before,) = said_first
    assert "no running console" in before
    assert "web-2/f1" in before and "as `gameday recover` does" in before


def test_library_logging_and_warnings_go_to_the_session_log_not_the_terminal(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    quiet_libraries()
    log = tmp_path / "s.log"
    with session_log(log):
        logging.getLogger("paramiko.transport").error("Exception (client): Error reading banner")
        warnings.warn("TripleDES has been moved", DeprecationWarning, stacklevel=1)
    logging.getLogger("paramiko.transport").error("after the session: dropped")
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    text = log.read_text()
    assert "Error reading banner" in text and "TripleDES" in text
    assert "dropped" not in text
