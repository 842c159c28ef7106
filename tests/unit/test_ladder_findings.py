"""How far the hypothesis held: the ladder's story and sentence, from journals of every outcome
(the full documents are goldens in tests/golden/findings/ladder_*)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gameday.core.findings.build import findings_from_file
from gameday.core.ladder import ladder_headline, ladder_sentence, ladder_story
from gameday.core.session import events as ev
from gameday.core.session.journal import read_journal

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "findings"


@pytest.mark.parametrize(
    ("name", "sentence"),
    [
        ("ladder_held", "The hypothesis held up to stage 3 of 3 (3 hosts)."),
        (
            "ladder_deviated",
            "The hypothesis held up to stage 1 of 3 (1 host); it broke at stage 2 (2 hosts).",
        ),
        (
            "ladder_aborted",
            "The hypothesis held up to stage 1 of 3 (1 host); it was aborted at stage 2 (2 hosts).",
        ),
        (
            "ladder_kill_switch",
            "The hypothesis held up to stage 1 of 3 (1 host); the ladder was stopped by the kill "
            "switch before stage 2.",
        ),
        (
            "ladder_no_go",
            "The hypothesis held up to stage 2 of 3 (2 hosts); the ladder was stopped there "
            "(no-go by alice).",
        ),
    ],
)
def test_the_summary_leads_with_how_far_the_hypothesis_held(name: str, sentence: str) -> None:
    events = read_journal(GOLDEN / f"{name}.jsonl").events
    assert ladder_headline(events) == sentence
    findings = findings_from_file(GOLDEN / f"{name}.jsonl")
    assert findings.summary[0] == sentence


def test_a_session_without_a_ladder_has_no_ladder_sentence() -> None:
    events = read_journal(GOLDEN / "held.jsonl").events
    assert ladder_headline(events) is None
    assert findings_from_file(GOLDEN / "held.jsonl").ladder is None


def _prefix(name: str, until: type[ev.Event], nth: int) -> list[ev.Event]:
    events = read_journal(GOLDEN / f"{name}.jsonl").events
    seen = 0
    for i, event in enumerate(events):
        if isinstance(event, until):
            seen += 1
            if seen == nth:
                return list(events[: i + 1])
    raise AssertionError(f"no {until.type} number {nth}")


def test_a_journal_cut_during_a_stage_says_where_it_ends() -> None:
    events = _prefix("ladder_held", ev.StageStarted, 2)
    story = ladder_story(events)
    assert story is not None
    assert [s.status for s in story.stages] == ["held", "running", "not_run"]
    assert ladder_sentence(story) == (
        "The hypothesis held up to stage 1 of 3 (1 host); the journal ends during stage 2."
    )


def test_a_ladder_broken_at_its_first_stage_says_it_did_not_hold() -> None:
    events = _prefix("ladder_deviated", ev.StageStarted, 1)
    broken = [
        *events,
        ev.StageEnded(seq=events[-1].seq + 1, stage=1, of=3, outcome="broke", reason="x"),
        ev.SessionEnded(seq=events[-1].seq + 2),
    ]
    story = ladder_story(broken)
    assert story is not None
    assert ladder_sentence(story) == "The hypothesis did not hold at stage 1 of 3 (1 host)."


def test_a_ladder_stopped_before_its_first_stage_says_no_stage_ran() -> None:
    planned = _prefix("ladder_held", ev.LadderPlanned, 1)
    story = ladder_story([*planned, ev.SessionEnded(seq=planned[-1].seq + 1)])
    assert story is not None
    assert ladder_sentence(story) == "The ladder did not start: no stage of 3 ran."


def test_worst_values_are_taken_while_the_stage_was_on_only() -> None:
    story = ladder_story(
        read_journal(GOLDEN / "ladder_deviated.jsonl").events, {"error_rate": (None, 1.0)}
    )
    assert story is not None
    first, second, third = story.stages
    worst = {w.probe: (w.value, w.ok) for w in second.worst}
    assert worst["error_rate"] == (1.8, False)
    assert {w.probe: w.value for w in first.worst}["error_rate"] == 0.4
    assert third.status == "not_run" and third.worst == ()


def test_gameday_sessions_shows_how_far_each_ladder_held(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gameday.cli import main

    for name in ("ladder_deviated", "held"):
        shutil.copy(GOLDEN / f"{name}.jsonl", tmp_path / f"{name}.jsonl")
    assert main(["sessions", "--journal-dir", str(tmp_path)]) == 0
    lines = {line.split()[3]: line for line in capsys.readouterr().out.splitlines()[1:]}
    ladder = "The hypothesis held up to stage 1 of 3 (1 host); it broke at stage 2 (2 hosts)."
    assert lines["checkout-ladder"].endswith(ladder)
    assert "hypothesis held up to" not in lines["checkout-node-partition"]
    assert main(["sessions", "--journal-dir", str(tmp_path), "--json"]) == 0
    rows = {row["scenario_id"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["checkout-ladder"]["ladder"] == ladder
    assert rows["checkout-node-partition"]["ladder"] is None
