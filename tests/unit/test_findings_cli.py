"""`gameday export` through the real entry point: formats, files, and clear refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gameday.cli import main

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "findings"


@pytest.fixture
def held(tmp_path: Path) -> Path:
    path = tmp_path / "held.jsonl"
    shutil.copy(GOLDEN / "held.jsonl", path)
    return path


def test_markdown_goes_to_stdout(held: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(held)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# GameDay findings: Checkout survives losing one node")
    assert "**Verdict: held**" in out
    assert f"`{held}`" in out  # the appendix names the journal by its absolute path


def test_output_file_takes_its_format_from_the_suffix(held: Path, tmp_path: Path) -> None:
    target = tmp_path / "findings.json"
    assert main(["export", str(held), "-o", str(target)]) == 0
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["format"] == "gameday-findings"
    assert document["verdict"] == "held"
    assert not list(tmp_path.glob(".*.tmp"))


def test_format_flag_wins_and_grafana_file_is_written(held: Path, tmp_path: Path) -> None:
    target, grafana = tmp_path / "out.json", tmp_path / "annotations.json"
    code = main(
        ["export", str(held), "-o", str(target), "--format", "md", "--grafana", str(grafana)]
    )
    assert code == 0
    assert target.read_text(encoding="utf-8").startswith("# GameDay findings")
    annotations = json.loads(grafana.read_text(encoding="utf-8"))
    assert annotations[0]["tags"][-1] == "fault-window"
    assert all(isinstance(a["time"], int) for a in annotations)


def test_torn_journal_exports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "crashed.jsonl"
    shutil.copy(GOLDEN / "crashed.jsonl", path)
    assert main(["export", str(path), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["verdict"] == "unfinished"
    assert document["appendix"]["torn"] is True


def test_missing_journal_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.jsonl"
    assert main(["export", str(missing)]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "no such journal" in err
    assert "Traceback" not in err


def test_malformed_journal_exits_2_with_the_line(
    held: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = held.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = "this is not json\n"
    held.write_text("".join(lines), encoding="utf-8")
    assert main(["export", str(held)]) == 2
    assert f"{held}:4" in capsys.readouterr().err


def test_directory_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_session_id_is_found_in_the_journal_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    journals = tmp_path / "gameday" / "journals"
    journals.mkdir(parents=True)
    shutil.copy(GOLDEN / "deviated.jsonl", journals / "s-42.jsonl")
    monkeypatch.chdir(tmp_path)
    assert main(["export", "s-42"]) == 0
    assert "**Verdict: deviated**" in capsys.readouterr().out


def test_unwritable_output_exits_2(
    held: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no" / "such" / "dir" / "f.md"
    assert main(["export", str(held), "-o", str(target)]) == 2
    assert "Cannot write the findings" in capsys.readouterr().err
