"""`gameday sessions`: the table and the JSON a user reads, from real journal files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gameday.cli import main

GOLDEN = Path(__file__).parent.parent / "golden" / "findings"


@pytest.fixture
def journals(tmp_path: Path) -> Path:
    for name in ("held", "aborted", "crashed"):
        shutil.copy(GOLDEN / f"{name}.jsonl", tmp_path / f"{name}.jsonl")
    return tmp_path


def test_table_lists_each_session_with_verdict_and_exit_status(
    journals: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sessions", "--journal-dir", str(journals)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["STARTED", "(UTC)", "SESSION"]
    outcomes = sorted(line.split()[5:7] for line in lines[1:])
    assert outcomes == [["aborted", "3"], ["held", "0"], ["interrupted", "-"]]


def test_json_names_the_findings_file_after_an_export(
    journals: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "out" / "held.md"
    output.parent.mkdir()
    assert main(["export", str(journals / "held.jsonl"), "-o", str(output)]) == 0
    capsys.readouterr()

    assert main(["sessions", "--journal-dir", str(journals), "--json"]) == 0
    rows = {Path(r["journal"]).stem: r for r in json.loads(capsys.readouterr().out)}

    assert rows["held"]["findings_file"] == str(output)
    assert rows["held"]["exit_status"] == 0 and rows["held"]["started"] == "2026-11-27T09:00:00Z"
    assert rows["aborted"]["findings_file"] is None
    assert rows["crashed"]["status"] == "interrupted" and rows["crashed"]["running"] is False


def test_an_empty_directory_says_so_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sessions", "--journal-dir", str(tmp_path)]) == 0
    assert "no sessions in" in capsys.readouterr().err


def test_escape_sequences_in_a_journal_never_reach_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (GOLDEN / "held.jsonl").read_text()
    (tmp_path / "x.jsonl").write_text(text.replace("checkout-node-partition", "evil\\u001b[2J"))
    assert main(["sessions", "--journal-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "evil?[2J" in out
