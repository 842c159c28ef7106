"""Participants and roles: what `--participant` accepts and refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from gameday.cli import main
from gameday.core.findings.build import build_findings
from gameday.core.findings.markdown import render_markdown
from gameday.core.roles import ROLES, note_author, parse_participant
from gameday.core.session import events as ev
from gameday.core.session.journal import JournalWriter, read_journal
from gameday.errors import InputError


@pytest.mark.parametrize("role", ROLES)
def test_every_known_role_is_accepted(role: str) -> None:
    assert parse_participant(f"alice:{role.upper()}") == ("alice", role)


def test_a_bare_name_is_an_observer() -> None:
    assert parse_participant(" bob ") == ("bob", "observer")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("alice:facilitator", "unknown role 'facilitator': use one of owner, coordinator"),
        ("alice:", "unknown role ''"),
        (":owner", "is not a participant name"),
        ("al ice:owner", "is not a participant name"),
        ("$(reboot):owner", "is not a participant name"),
    ],
)
def test_bad_participants_are_refused_with_a_sentence(text: str, why: str) -> None:
    with pytest.raises(InputError, match=why.replace("(", r"\(").replace(")", r"\)")):
        parse_participant(text)


def test_run_refuses_an_unknown_role_with_exit_2_before_reading_files(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["run", "no-such.yaml", "-i", "no-such-inventory.yaml", "--headless"]
    assert main([*argv, "--participant", "alice:boss"]) == 2
    err = capsys.readouterr().err
    assert "--participant" in err and "unknown role 'boss'" in err and "Traceback" not in err


def test_run_refuses_a_person_named_twice(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", "x.yaml", "-i", "i.yaml", "--headless", "--participant", "alice:owner"]
    assert main([*argv, "--participant", "alice:reporter"]) == 2
    assert "alice is named twice" in capsys.readouterr().err


def test_notes_default_to_the_first_reporter() -> None:
    people = {"alice": "owner", "bob": "reporter", "carol": "reporter"}
    assert note_author(people, "console-user") == "bob"
    assert note_author({"alice": "owner"}, "console-user") == "console-user"


def test_the_findings_name_the_gameday_and_list_people_by_role(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    writer = JournalWriter(path, clock=iter(range(1000, 1100)).__next__)
    writer.append(
        ev.SessionStarted(
            session_id="s",
            scenario_id="web-cpu",
            scenario_title="Web CPU",
            scenario_file="/s.yaml",
            scenario_sha256="0" * 64,
            hypothesis="p99 holds",
            inventory_file="/i.yaml",
            gameday_name="Q4 checkout <resilience>",
        )
    )
    for name, role in (("dave", "observer"), ("carol", "reporter"), ("alice", "owner")):
        writer.append(ev.ParticipantJoined(actor=name, name=name, role=role))
    writer.append(ev.NoteAdded(actor="carol", text="slow checkout"))
    writer.close()

    md = render_markdown(build_findings(read_journal(path), "0" * 64))

    assert "- **GameDay:** Q4 checkout &lt;resilience&gt;" in md
    rows = [line for line in md.splitlines() if line.startswith("| ") and " | " in line]
    people = [r.split(" | ")[0].strip("| ") for r in rows[1:4]]
    assert people == ["alice", "carol", "dave"]  # owner, reporter, observer
